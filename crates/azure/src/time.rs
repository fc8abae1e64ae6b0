//! The time formats ARM and its providers write.

/// ARM's timestamp format (`createdOn`, `changedTime`, …): `2024-05-01T12:00:00.0000000Z`.
pub fn arm_timestamp(epoch_seconds: i64) -> String {
    format(epoch_seconds, "%Y-%m-%dT%H:%M:%S.0000000Z")
}

/// Compute's timestamp format (`timeCreated`, operation status): `2024-05-01T12:00:00.0000000+00:00`.
pub fn compute_timestamp(epoch_seconds: i64) -> String {
    format(epoch_seconds, "%Y-%m-%dT%H:%M:%S.0000000+00:00")
}

/// The US format ARM uses for times inside token error messages: `11/23/2026 1:00:00 PM`.
pub fn token_error_time(epoch_seconds: i64) -> String {
    format(epoch_seconds, "%-m/%-d/%Y %-I:%M:%S %p")
}

fn format(epoch_seconds: i64, pattern: &str) -> String {
    chrono::DateTime::from_timestamp(epoch_seconds, 0)
        .unwrap_or_default()
        .format(pattern)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_arm_and_compute_write_them() {
        // 2024-05-01T12:00:00Z
        let epoch = 1_714_564_800;
        assert_eq!(arm_timestamp(epoch), "2024-05-01T12:00:00.0000000Z");
        assert_eq!(
            compute_timestamp(epoch),
            "2024-05-01T12:00:00.0000000+00:00"
        );
        assert_eq!(token_error_time(epoch), "5/1/2024 12:00:00 PM");
        assert_eq!(token_error_time(epoch + 3600), "5/1/2024 1:00:00 PM");
        assert_eq!(
            token_error_time(1_795_438_800 - 4 * 3600 + 5),
            "11/23/2026 9:00:05 AM"
        );
    }
}
