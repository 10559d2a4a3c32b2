//! The one time budget a command shares across all its network stages.

use std::time::{Duration, Instant};

/// A deadline for all network work on one target.
///
/// Every stage asks the budget how long it may still wait, so that whatever a
/// server does, the command ends within `--timeout` (plus a little overhead).
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    started: Instant,
    total: Duration,
}

impl Budget {
    /// A budget of `total`, starting now.
    pub fn new(total: Duration) -> Self {
        Budget {
            started: Instant::now(),
            total,
        }
    }

    /// The whole budget, as given.
    pub fn total(&self) -> Duration {
        self.total
    }

    /// The instant the budget runs out.
    pub fn deadline(&self) -> Instant {
        self.started + self.total
    }

    /// Time left; zero once the deadline has passed.
    pub fn remaining(&self) -> Duration {
        self.deadline().saturating_duration_since(Instant::now())
    }

    /// Whether the deadline has passed.
    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }

    /// Time spent since the budget started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The budget in whole seconds, as reports quote it ("timed out after 15 s").
    /// A budget under a second is written in milliseconds ("250 ms"), never
    /// as "0.0 s".
    pub fn total_secs_text(&self) -> String {
        let secs = self.total.as_secs_f64();
        if secs > 0.0 && secs < 1.0 {
            return match self.total.as_millis() {
                0 => "under 1 ms".to_string(),
                ms => format!("{ms} ms"),
            };
        }
        if secs.fract() == 0.0 {
            format!("{secs:.0} s")
        } else {
            format!("{secs:.1} s")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_budget_is_expired_at_once() {
        let budget = Budget::new(Duration::ZERO);
        assert!(budget.expired());
        assert_eq!(budget.remaining(), Duration::ZERO);
    }

    #[test]
    fn remaining_never_exceeds_total() {
        let budget = Budget::new(Duration::from_secs(15));
        assert!(budget.remaining() <= budget.total());
        assert!(!budget.expired());
        assert_eq!(budget.total_secs_text(), "15 s");
        assert_eq!(
            Budget::new(Duration::from_millis(2500)).total_secs_text(),
            "2.5 s"
        );
    }

    #[test]
    fn budgets_under_a_second_are_written_in_milliseconds() {
        let text = |secs: f64| Budget::new(Duration::from_secs_f64(secs)).total_secs_text();
        assert_eq!(text(0.001), "1 ms");
        assert_eq!(text(0.25), "250 ms");
        assert_eq!(text(1e-9), "under 1 ms");
        assert_eq!(text(0.0), "0 s");
    }
}
