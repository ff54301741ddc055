//! Usage of a process from Linux's `/proc`.

pub struct Usage {
    pub cpu_seconds: f64,
    pub rss_bytes: u64,
}

pub fn usage(pid: i32) -> Option<Usage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; fields resume after its ')'.
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 2..)?
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let resident_pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf only reads system constants.
    let (ticks_per_second, page_size) = unsafe {
        (
            libc::sysconf(libc::_SC_CLK_TCK),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    Some(Usage {
        cpu_seconds: ticks as f64 / ticks_per_second.max(1) as f64,
        rss_bytes: resident_pages * page_size.max(1) as u64,
    })
}

/// Whether a process exists (and is not a zombie).
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rfind(')').and_then(|i| stat.get(i + 2..i + 3)) != Some("Z"),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_current_process_has_usage() {
        let usage = super::usage(std::process::id() as i32).expect("usage");
        assert!(usage.rss_bytes > 0);
        assert!(super::alive(std::process::id() as i32));
        assert!(!super::alive(i32::MAX));
    }
}
