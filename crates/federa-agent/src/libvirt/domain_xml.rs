//! The libvirt domain XML of a new VM. Only what the service asked for and
//! what the agent is configured with goes in; libvirt fills in the rest
//! (machine type, emulator, MAC address, PCI addresses).

use std::fmt::Write;

/// A disk in a storage pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Disk {
    pub pool: String,
    pub volume: String,
    /// The image format (`qcow2`, `raw`): QEMU no longer guesses it.
    pub format: String,
}

pub(super) struct Definition<'a> {
    pub name: &'a str,
    /// Shown by `virsh list --title` so an operator sees whose VM it is.
    pub title: &'a str,
    pub domain_type: &'a str,
    pub vcpus: u32,
    pub memory_mib: u64,
    pub disk: Option<&'a Disk>,
    pub network: Option<&'a str>,
}

impl Definition<'_> {
    pub fn to_xml(&self) -> String {
        let mut xml = String::new();
        let _ = writeln!(xml, "<domain type='{}'>", escape(self.domain_type));
        let _ = writeln!(xml, "  <name>{}</name>", escape(self.name));
        let _ = writeln!(xml, "  <title>{}</title>", escape(&one_line(self.title)));
        let _ = writeln!(xml, "  <memory unit='MiB'>{}</memory>", self.memory_mib);
        let _ = writeln!(
            xml,
            "  <currentMemory unit='MiB'>{}</currentMemory>",
            self.memory_mib
        );
        let _ = writeln!(xml, "  <vcpu placement='static'>{}</vcpu>", self.vcpus);
        xml.push_str("  <os>\n    <type>hvm</type>\n    <boot dev='hd'/>\n  </os>\n");
        xml.push_str("  <features>\n    <acpi/>\n    <apic/>\n  </features>\n");
        // A guest that powers itself off is off, not rebooted behind the
        // exchange's back; a crashed one stays off so the state says so.
        xml.push_str("  <on_poweroff>destroy</on_poweroff>\n");
        xml.push_str("  <on_reboot>restart</on_reboot>\n");
        xml.push_str("  <on_crash>destroy</on_crash>\n");
        xml.push_str("  <devices>\n");
        if let Some(disk) = self.disk {
            let _ = writeln!(
                xml,
                "    <disk type='volume' device='disk'>\n      <driver name='qemu' type='{}'/>\n      <source pool='{}' volume='{}'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>",
                escape(&disk.format),
                escape(&disk.pool),
                escape(&disk.volume)
            );
        }
        if let Some(network) = self.network {
            let _ = writeln!(
                xml,
                "    <interface type='network'>\n      <source network='{}'/>\n      <model type='virtio'/>\n    </interface>",
                escape(network)
            );
        }
        xml.push_str("    <serial type='pty'/>\n    <console type='pty'/>\n");
        xml.push_str("  </devices>\n</domain>\n");
        xml
    }
}

/// libvirt refuses titles with line breaks.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Escapes text for XML content and single-quoted attributes.
pub(super) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '\'' => escaped.push_str("&apos;"),
            '"' => escaped.push_str("&quot;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definition_names_size_disk_and_network() {
        let disk = Disk {
            pool: "default".into(),
            volume: "federa-abc-disk".into(),
            format: "qcow2".into(),
        };
        let xml = Definition {
            name: "federa-abc",
            title: "shop <db>\nprimary",
            domain_type: "kvm",
            vcpus: 2,
            memory_mib: 1024,
            disk: Some(&disk),
            network: Some("default"),
        }
        .to_xml();
        assert!(xml.starts_with("<domain type='kvm'>"), "{xml}");
        assert!(xml.contains("<name>federa-abc</name>"), "{xml}");
        assert!(
            xml.contains("<title>shop &lt;db&gt; primary</title>"),
            "{xml}"
        );
        assert!(xml.contains("<memory unit='MiB'>1024</memory>"), "{xml}");
        assert!(xml.contains("<vcpu placement='static'>2</vcpu>"), "{xml}");
        assert!(
            xml.contains("<source pool='default' volume='federa-abc-disk'/>"),
            "{xml}"
        );
        assert!(xml.contains("<driver name='qemu' type='qcow2'/>"), "{xml}");
        assert!(xml.contains("<source network='default'/>"), "{xml}");
    }

    #[test]
    fn without_disk_or_network_there_are_no_such_devices() {
        let xml = Definition {
            name: "federa-abc",
            title: "t",
            domain_type: "test",
            vcpus: 1,
            memory_mib: 64,
            disk: None,
            network: None,
        }
        .to_xml();
        assert!(!xml.contains("<disk"), "{xml}");
        assert!(!xml.contains("<interface"), "{xml}");
    }
}
