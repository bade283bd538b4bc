#!/usr/bin/env python
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write gathered-looking facts for the demo fleet: one ``<host>.json`` per host.

Usage: make_facts.py OUTPUT_DIR

Everything is derived from the host name, so every run writes the same files:
- webNN (20), dbNN (10), cacheNN (10), as in fleet.yml;
- odd numbers are in Amsterdam (ams), even ones in New York (nyc);
- web01-12 run Ubuntu 22.04, web13-16 Ubuntu 24.04, web17-20 Debian 12 (a beta app release),
  db hosts RHEL 9, cache hosts Ubuntu 22.04 on AMD;
- vCPUs: web 16/4/8/8 by number modulo 4, db01-02 32 and the replicas 16, cache 2;
- hosts whose number is a multiple of 5 run with IPv6 disabled: their lo has no ipv6 list.
"""

import json
import os
import sys

ROLES = (("web", 20), ("db", 10), ("cache", 10))

UBUNTU_2204 = dict(distribution="Ubuntu", version="22.04", major="22", release="jammy", family="Debian",
                   kernel="5.15.0-131-generic", python=(3, 10, 12))
UBUNTU_2404 = dict(distribution="Ubuntu", version="24.04", major="24", release="noble", family="Debian",
                   kernel="6.8.0-51-generic", python=(3, 12, 3))
DEBIAN_12 = dict(distribution="Debian", version="12.9", major="12", release="bookworm", family="Debian",
                 kernel="6.1.0-30-amd64", python=(3, 11, 2))
RHEL_9 = dict(distribution="RedHat", version="9.5", major="9", release="Plow", family="RedHat",
              kernel="5.14.0-503.22.1.el9_5.x86_64", python=(3, 9, 21))
INTEL = ("GenuineIntel", "Intel(R) Xeon(R) Gold 6348 CPU @ 2.60GHz")
AMD = ("AuthenticAMD", "AMD EPYC 7R13 Processor")


def facts_for(role, n):
    name = "%s%02d" % (role, n)
    dc = "ams" if n % 2 else "nyc"
    subnet = {"web": 10, "db": 20, "cache": 30}[role] + (0 if dc == "ams" else 100)
    if role == "web":
        os_ = UBUNTU_2204 if n <= 12 else UBUNTU_2404 if n <= 16 else DEBIAN_12
        vcpus = (16, 4, 8, 8)[n % 4]
    elif role == "db":
        os_, vcpus = RHEL_9, 32 if n <= 2 else 16
    else:
        os_, vcpus = UBUNTU_2204, 2
    redhat = os_["family"] == "RedHat"
    cpu = AMD if role == "cache" else INTEL
    processor = []
    for i in range(vcpus):
        processor += [str(i), cpu[0], cpu[1]]
    address = "10.0.%d.%d" % (subnet, n + 10)
    ipv6 = n % 5 != 0
    lo = {"device": "lo", "active": True, "type": "loopback", "mtu": 65536,
          "ipv4": {"address": "127.0.0.1", "netmask": "255.0.0.0", "network": "127.0.0.0", "prefix": "8"}}
    eth0 = {"device": "eth0", "active": True, "type": "ether", "mtu": 1500,
            "macaddress": "52:54:00:%02x:%02x:%02x" % (subnet, n, vcpus),
            "ipv4": {"address": address, "netmask": "255.255.255.0", "network": "10.0.%d.0" % subnet, "prefix": "24"}}
    if ipv6:
        lo["ipv6"] = [{"address": "::1", "prefix": "128", "scope": "host"}]
        eth0["ipv6"] = [{"address": "fe80::5054:ff:fe%02x:%02x%02x" % (subnet, n, vcpus), "prefix": "64", "scope": "link"}]
    mounts = [{"mount": "/", "device": "/dev/vda1", "fstype": "xfs" if redhat else "ext4",
               "size_total": 42949672960, "size_available": 42949672960 - n * 1073741824}]
    packages = {"openssl": [{"version": "3.0.13" if redhat else "3.0.2", "arch": "x86_64" if redhat else "amd64",
                             "source": "rpm" if redhat else "apt"}]}
    env = {"HOME": "/root", "LANG": "C.UTF-8", "SHELL": "/bin/bash"}
    local = {}
    if role == "web":
        packages["nginx"] = [{"version": "1.22.1" if os_["distribution"] == "Debian" else "1.24.0",
                              "arch": "amd64", "source": "apt"}]
        env["PYTHONUNBUFFERED"] = "true"
        local["app"] = {"release": "2.5.0-rc1" if n > 16 else "2.4.1", "channel": "beta" if n > 16 else "stable"}
    elif role == "db":
        packages["postgresql16-server"] = [{"version": "16.6", "arch": "x86_64", "source": "rpm"}]
        mounts.append({"mount": "/var/lib/pgsql", "device": "/dev/vdb", "fstype": "xfs",
                       "size_total": 536870912000, "size_available": 322122547200})
        local["db"] = {"role": "primary" if n <= 2 else "replica", "cluster": "orders"}
    else:
        packages["redis-server"] = [{"version": "6.0.16", "arch": "amd64", "source": "apt"}]
    return name, {
        "ansible_hostname": name,
        "ansible_fqdn": "%s.%s.example.com" % (name, dc),
        "ansible_domain": "%s.example.com" % dc,
        "ansible_system": "Linux",
        "ansible_architecture": "x86_64",
        "ansible_kernel": os_["kernel"],
        "ansible_distribution": os_["distribution"],
        "ansible_distribution_version": os_["version"],
        "ansible_distribution_major_version": os_["major"],
        "ansible_distribution_release": os_["release"],
        "ansible_os_family": os_["family"],
        "ansible_virtualization_type": "kvm",
        "ansible_virtualization_role": "guest",
        "ansible_system_vendor": "QEMU",
        "ansible_processor": processor,
        "ansible_processor_count": 1,
        "ansible_processor_cores": vcpus,
        "ansible_processor_threads_per_core": 1,
        "ansible_processor_vcpus": vcpus,
        "ansible_memtotal_mb": vcpus * 4096 - 321,
        "ansible_fips": False,
        "ansible_selinux": {"status": "enabled", "mode": "enforcing", "type": "targeted"} if redhat else {"status": "disabled"},
        "ansible_python": {"version": dict(zip(("major", "minor", "micro"), os_["python"])), "executable": "/usr/bin/python3"},
        "ansible_interfaces": ["eth0", "lo"],
        "ansible_lo": lo,
        "ansible_eth0": eth0,
        "ansible_default_ipv4": {"address": address, "interface": "eth0", "gateway": "10.0.%d.1" % subnet},
        "ansible_all_ipv4_addresses": [address],
        "ansible_mounts": mounts,
        "ansible_env": env,
        "ansible_date_time": {"date": "2025-01-15", "weekday": "Wednesday", "weekday_number": "3", "tz": "UTC",
                              "epoch": "1736935200"},
        "ansible_local": local,
        "packages": packages,
    }


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: make_facts.py OUTPUT_DIR\n")
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    count = 0
    for role, total in ROLES:
        for n in range(1, total + 1):
            name, facts = facts_for(role, n)
            with open(os.path.join(out, name + ".json"), "w", encoding="utf-8") as handle:
                json.dump(facts, handle, indent=1, sort_keys=True)
                handle.write("\n")
            count += 1
    print("wrote facts for %d hosts to %s" % (count, out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
