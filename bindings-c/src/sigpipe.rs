//! SIGPIPE kept away from the host program. A write to a connection the server has closed
//! raises SIGPIPE in the writing thread, and its default action ends the process. Rust, Python
//! and Node.js programs ignore it; a C program usually does not, and in this binding the
//! calling thread itself drives rmq's I/O. So while rmq works on a thread, SIGPIPE is blocked
//! there (the write then fails with EPIPE, which rmq handles), a SIGPIPE rmq raised meanwhile
//! is taken off the thread, and the thread's mask is put back. rmq's own threads are created
//! with it blocked. The program's own handling of SIGPIPE is left as it was.

/// SIGPIPE blocked on this thread until dropped.
pub struct Blocked {
    previous: libc::sigset_t,
    /// False when the thread already blocked it: nothing to undo.
    blocked_here: bool,
}

fn sigpipe_set() -> libc::sigset_t {
    // SAFETY: sigemptyset and sigaddset only write the set they are given.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        set
    }
}

impl Blocked {
    pub fn here() -> Blocked {
        let set = sigpipe_set();
        // SAFETY: both sets are valid; pthread_sigmask only changes this thread's mask.
        unsafe {
            let mut previous: libc::sigset_t = std::mem::zeroed();
            let blocked_here = libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut previous) == 0
                && libc::sigismember(&previous, libc::SIGPIPE) == 0;
            Blocked {
                previous,
                blocked_here,
            }
        }
    }
}

impl Drop for Blocked {
    fn drop(&mut self) {
        if !self.blocked_here {
            return;
        }
        let set = sigpipe_set();
        let now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: valid set and timeout; a pending SIGPIPE is accepted (consumed) without
        // waiting, so unblocking below cannot deliver it.
        unsafe {
            while libc::sigtimedwait(&set, std::ptr::null_mut(), &now) == libc::SIGPIPE {}
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.previous, std::ptr::null_mut());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipe_pending() -> bool {
        // SAFETY: reads the pending signals into a valid set.
        unsafe {
            let mut pending: libc::sigset_t = std::mem::zeroed();
            libc::sigpending(&mut pending);
            libc::sigismember(&pending, libc::SIGPIPE) == 1
        }
    }

    fn pipe_blocked() -> bool {
        // SAFETY: reads this thread's mask into a valid set.
        unsafe {
            let mut mask: libc::sigset_t = std::mem::zeroed();
            libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut mask);
            libc::sigismember(&mask, libc::SIGPIPE) == 1
        }
    }

    #[test]
    fn a_sigpipe_raised_while_blocked_is_taken_off_and_the_mask_restored() {
        std::thread::spawn(|| {
            assert!(!pipe_blocked());
            {
                let _outer = Blocked::here();
                {
                    let _nested = Blocked::here();
                    assert!(pipe_blocked());
                }
                assert!(
                    pipe_blocked(),
                    "a nested guard leaves the outer one's block"
                );
                // What a write to a closed connection does to the writing thread.
                // SAFETY: raises a signal this thread blocks.
                unsafe { libc::raise(libc::SIGPIPE) };
                assert!(pipe_pending(), "held while blocked");
            }
            // Had the SIGPIPE stayed pending, unblocking it would have ended a C program (the
            // test harness itself ignores SIGPIPE, so look at what is pending instead).
            assert!(!pipe_blocked());
            let _again = Blocked::here();
            assert!(!pipe_pending(), "taken off the thread");
        })
        .join()
        .expect("the thread ran");
    }
}
