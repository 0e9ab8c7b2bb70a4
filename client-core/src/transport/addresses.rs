//! Brokers served at several addresses. A proxy cluster's route gives every broker the whole
//! access point (each proxy's address), and any of them serves it; the client uses one at a
//! time, the first that works, and moves to the next when the one in use cannot be reached
//! (gRPC's pick-first, as the official clients' channels do). Calls and sessions keep naming
//! the broker by its first address, so routes, sessions and isolation see one endpoint.

use crate::config::Endpoint;
use std::collections::HashMap;
use std::sync::Mutex;

struct Served {
    addresses: Vec<Endpoint>,
    in_use: usize,
}

/// The brokers with more than one address, by their first address.
#[derive(Default)]
pub(crate) struct Addresses {
    brokers: Mutex<HashMap<Endpoint, Served>>,
}

impl Addresses {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Endpoint, Served>> {
        self.brokers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records that the broker named `addresses[0]` is served at each of `addresses`; the
    /// address in use stays while it is still listed.
    pub(crate) fn serve(&self, addresses: &[Endpoint]) {
        let Some(first) = addresses.first() else {
            return;
        };
        let mut brokers = self.lock();
        if addresses.len() < 2 {
            brokers.remove(first);
            return;
        }
        let in_use = brokers
            .get(first)
            .and_then(|s| addresses.iter().position(|a| *a == s.addresses[s.in_use]))
            .unwrap_or(0);
        if !brokers.contains_key(first) {
            tracing::debug!(endpoint = %first, ?addresses, "a broker served at several addresses");
        }
        brokers.insert(
            first.clone(),
            Served {
                addresses: addresses.to_vec(),
                in_use,
            },
        );
    }

    /// The address to call `endpoint` at now.
    pub(crate) fn resolve(&self, endpoint: &Endpoint) -> Endpoint {
        self.lock()
            .get(endpoint)
            .map_or_else(|| endpoint.clone(), |s| s.addresses[s.in_use].clone())
    }

    /// `endpoint` could not be reached at `address`: the next call goes to its next address
    /// (unless another failure already moved it on).
    pub(crate) fn unreachable(&self, endpoint: &Endpoint, address: &Endpoint) {
        if let Some(served) = self.lock().get_mut(endpoint)
            && served.addresses[served.in_use] == *address
        {
            served.in_use = (served.in_use + 1) % served.addresses.len();
            let next = &served.addresses[served.in_use];
            tracing::warn!(%endpoint, %address, %next, "address unreachable; using the next one");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(port: u16) -> Endpoint {
        Endpoint {
            host: "127.0.0.1".to_owned(),
            port,
        }
    }

    #[test]
    fn the_next_address_takes_over_and_stays() {
        let addresses = Addresses::default();
        assert_eq!(
            addresses.resolve(&at(1)),
            at(1),
            "a single address is itself"
        );
        addresses.serve(&[at(1), at(2), at(3)]);
        assert_eq!(addresses.resolve(&at(1)), at(1));
        addresses.unreachable(&at(1), &at(1));
        assert_eq!(addresses.resolve(&at(1)), at(2));
        // A late failure report of the address already left changes nothing.
        addresses.unreachable(&at(1), &at(1));
        assert_eq!(addresses.resolve(&at(1)), at(2));
        // A refreshed route keeps the address in use.
        addresses.serve(&[at(1), at(2), at(3)]);
        assert_eq!(addresses.resolve(&at(1)), at(2));
        addresses.unreachable(&at(1), &at(2));
        addresses.unreachable(&at(1), &at(3));
        assert_eq!(
            addresses.resolve(&at(1)),
            at(1),
            "round and back to the first"
        );
        addresses.serve(&[at(1)]);
        addresses.unreachable(&at(1), &at(1));
        assert_eq!(addresses.resolve(&at(1)), at(1));
    }
}
