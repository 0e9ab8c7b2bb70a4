//! The calls of `MessagingService` as a type, so code that names one (fault injection, call
//! counters, logs) cannot misspell it: a string from a binding or a command line goes through
//! [`Rpc::from_str`](std::str::FromStr) and an unknown name is an error, not a fault that never
//! fires.

use std::fmt;
use std::str::FromStr;

macro_rules! rpcs {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)+) => {
        /// One call of `apache.rocketmq.v2.MessagingService`, plus [`Rpc::TelemetrySettings`]
        /// for the Settings a client sends on its Telemetry stream.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rpc {
            $($(#[$doc])* $variant,)+
        }

        impl Rpc {
            /// Every call, in the service's order.
            pub const ALL: &'static [Rpc] = &[$(Rpc::$variant,)+];

            /// The method name, as in the gRPC path (`"SendMessage"`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(Rpc::$variant => $name,)+
                }
            }
        }
    };
}

rpcs! {
    /// `QueryRoute`
    QueryRoute => "QueryRoute",
    /// `Heartbeat`
    Heartbeat => "Heartbeat",
    /// `SendMessage`
    SendMessage => "SendMessage",
    /// `QueryAssignment`
    QueryAssignment => "QueryAssignment",
    /// `ReceiveMessage`
    ReceiveMessage => "ReceiveMessage",
    /// `AckMessage`
    AckMessage => "AckMessage",
    /// `ForwardMessageToDeadLetterQueue`
    ForwardMessageToDeadLetterQueue => "ForwardMessageToDeadLetterQueue",
    /// `PullMessage`
    PullMessage => "PullMessage",
    /// `UpdateOffset`
    UpdateOffset => "UpdateOffset",
    /// `GetOffset`
    GetOffset => "GetOffset",
    /// `QueryOffset`
    QueryOffset => "QueryOffset",
    /// `EndTransaction`
    EndTransaction => "EndTransaction",
    /// `Telemetry` (the stream)
    Telemetry => "Telemetry",
    /// `NotifyClientTermination`
    NotifyClientTermination => "NotifyClientTermination",
    /// `ChangeInvisibleDuration`
    ChangeInvisibleDuration => "ChangeInvisibleDuration",
    /// `RecallMessage`
    RecallMessage => "RecallMessage",
    /// `SyncLiteSubscription`
    SyncLiteSubscription => "SyncLiteSubscription",
    /// A Settings command received on a Telemetry stream (not an RPC of its own).
    TelemetrySettings => "Telemetry.Settings",
}

impl fmt::Display for Rpc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no [`Rpc`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownRpc(pub String);

impl fmt::Display for UnknownRpc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown RPC {:?} (one of ", self.0)?;
        for (i, rpc) in Rpc::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(rpc.name())?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownRpc {}

impl FromStr for Rpc {
    type Err = UnknownRpc;

    /// The exact method name; matching is case-sensitive, as gRPC paths are.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rpc::ALL
            .iter()
            .copied()
            .find(|rpc| rpc.name() == s)
            .ok_or_else(|| UnknownRpc(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back() {
        for rpc in Rpc::ALL {
            assert_eq!(rpc.name().parse::<Rpc>(), Ok(*rpc));
        }
    }

    #[test]
    fn a_misspelt_name_is_refused_with_the_list() {
        let err = "SendMessages".parse::<Rpc>().expect_err("unknown");
        assert!(err.to_string().contains("\"SendMessages\""));
        assert!(err.to_string().contains("SendMessage, QueryAssignment"));
        assert!("sendmessage".parse::<Rpc>().is_err());
    }

    #[test]
    fn the_service_declares_every_rpc_but_the_settings_pseudo_call() {
        let service = include_str!("../apache/rocketmq/v2/service.proto");
        let declared: Vec<&str> = service
            .lines()
            .filter_map(|l| l.trim().strip_prefix("rpc "))
            .filter_map(|l| l.split('(').next())
            .collect();
        let ours: Vec<&str> = Rpc::ALL
            .iter()
            .filter(|r| **r != Rpc::TelemetrySettings)
            .map(|r| r.name())
            .collect();
        assert_eq!(declared, ours);
    }
}
