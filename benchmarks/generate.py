#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deterministic generator of a fleet for the fleet.inventory benchmarks.

For N hosts it writes, into an output directory:

``static.json``
    A static inventory in the format of Ansible's ``yaml`` inventory plugin (JSON is YAML,
    and ``ansible-inventory -i static.json`` reads it), with nested groups, group vars and
    host vars.  This is the source that ``inventory_import`` imports and the reference that
    ``ansible-inventory -i static.json --list`` reads.
``facts/<host>.json``
    One file per host holding the facts as ``setup`` returns them under ``ansible_facts``
    (5-10 KB of JSON each): distribution, processor list, mounts, interfaces with ipv4 dicts,
    ipv6 lists and features dicts, env, date_time, lsb, python ...  These feed
    ``fleet.inventory.host_facts`` ``facts_dir``.
``manifest.json``
    What was generated (N, seed, counts per distribution/role/..., total sizes), so that
    the benchmark can report the selectivity of each filter it times.

Host ``i`` depends only on ``(seed, i)``: the first 10k hosts of a 100k fleet are the 10k fleet.

Usage::

    python benchmarks/generate.py --hosts 10000 --out /tmp/fleet-10k [--seed 42] [--no-facts]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from collections import Counter

DEFAULT_SEED = 20240501
# Fixed "now" for ansible_date_time (no wall clock: generated data must be deterministic).
BASE_EPOCH = 1714550400  # 2024-05-01T08:00:00Z

# role -> weight; host names are "<role><index:06d>"
ROLES = [("web", 30), ("app", 25), ("batch", 15), ("db", 10), ("cache", 10), ("lb", 5), ("mon", 5)]
ROLE_VARS = {
    "web": {"http_port": 443, "nginx_worker_processes": "auto", "vhosts": ["www", "api", "static"]},
    "app": {"app_port": 8080, "jvm_heap_mb": 4096, "release_channel": "stable"},
    "batch": {"queue": "default", "max_jobs": 16},
    "db": {"postgresql_version": "15", "backup_window": "02:00-04:00", "replicas": 2},
    "cache": {"redis_maxmemory": "8gb", "redis_port": 6379},
    "lb": {"haproxy_maxconn": 20000, "vip_pool": "pool-a"},
    "mon": {"prometheus_retention": "15d", "scrape_interval": "30s"},
}
DATACENTERS = [("us-east-1", 35), ("us-west-2", 25), ("eu-central-1", 25), ("ap-south-1", 15)]
ENVIRONMENTS = [("prod", 60), ("staging", 25), ("dev", 15)]
# (distribution, version, major, release/codename, os_family, pkg_mgr, kernel, python version, weight)
DISTRIBUTIONS = [
    ("Ubuntu", "22.04", "22", "jammy", "Debian", "apt", "5.15.0-{p}-generic", (3, 10, 12), 28),
    ("Ubuntu", "20.04", "20", "focal", "Debian", "apt", "5.4.0-{p}-generic", (3, 8, 10), 14),
    ("Ubuntu", "24.04", "24", "noble", "Debian", "apt", "6.8.0-{p}-generic", (3, 12, 3), 8),
    ("Debian", "12.5", "12", "bookworm", "Debian", "apt", "6.1.0-{q}-amd64", (3, 11, 2), 10),
    ("Debian", "11.9", "11", "bullseye", "Debian", "apt", "5.10.0-{q}-amd64", (3, 9, 2), 5),
    ("RedHat", "9.3", "9", "Plow", "RedHat", "dnf", "5.14.0-{r}.el9_3.x86_64", (3, 9, 18), 10),
    ("RedHat", "8.9", "8", "Ootpa", "RedHat", "dnf", "4.18.0-{r}.el8_9.x86_64", (3, 6, 8), 9),
    ("Rocky", "9.3", "9", "Blue Onyx", "RedHat", "dnf", "5.14.0-{r}.el9_3.x86_64", (3, 9, 18), 6),
    ("CentOS", "7.9", "7", "Core", "RedHat", "yum", "3.10.0-{s}.el7.x86_64", (2, 7, 5), 4),
    ("Amazon", "2023", "2023", "", "RedHat", "dnf", "6.1.{p}-{q}.amzn2023.x86_64", (3, 9, 16), 6),
]
# vcpus -> weight.  ansible_processor holds 3 strings per vcpu, which dominates large hosts
# (the largest Intel hosts have 32 vcpus, AMD ones 48, to stay in the 5-10 KB budget).
VCPUS_INTEL = [(1, 4), (2, 18), (4, 26), (8, 22), (16, 18), (32, 12)]
VCPUS_AMD = [(2, 15), (4, 25), (8, 25), (16, 17), (32, 10), (48, 8)]
CPUS = [
    ("GenuineIntel", "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz", "Amazon EC2", "m5", VCPUS_INTEL, 60),
    ("GenuineIntel", "Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz", "Amazon EC2", "m4", VCPUS_INTEL, 10),
    ("AuthenticAMD", "AMD EPYC 7R13 Processor", "Amazon EC2", "m6a", VCPUS_AMD, 30),
]
MOUNT_SETS = [
    [("/", "ext4", 30)],
    [("/", "ext4", 20), ("/boot/efi", "vfat", 0.1)],
    [("/", "xfs", 50), ("/var/lib/data", "xfs", 500)],
]
# a subset of what ethtool reports (setup returns ~60 per interface; kept short for the 5-10 KB budget)
ETH_FEATURES = [
    "generic_receive_offload", "generic_segmentation_offload", "highdma", "large_receive_offload",
    "rx_checksumming", "rx_vlan_offload", "scatter_gather",
    "tcp_segmentation_offload", "tx_checksumming", "tx_scatter_gather", "tx_vlan_offload", "vlan_challenged",
]
LO_FEATURES = ["generic_receive_offload", "highdma", "loopback", "netns_local", "rx_checksumming", "scatter_gather",
               "tx_checksumming", "tx_lockless"]
FEATURE_VALUES = ["on", "off", "off [fixed]", "on [fixed]"]
CAPABILITIES = ["cap_chown", "cap_dac_override", "cap_fowner", "cap_kill", "cap_setgid", "cap_setuid",
                "cap_net_admin", "cap_sys_admin+ep"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _pick(rng, table):
    """Weighted choice over a table whose rows end with their weight."""
    return rng.choices(table, weights=[row[-1] for row in table])[0]


def _hex(rng, n):
    return "%0*x" % (n, rng.getrandbits(4 * n))


def _b64(rng, n):
    return "".join(rng.choice(B64) for dummy in range(n))


def _uuid(rng):
    h = _hex(rng, 32)
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def _mac(rng):
    return "02:" + ":".join("%02x" % rng.randrange(256) for dummy in range(5))


def host_name(role, index):
    return "%s%06d" % (role, index)


def host_record(index, seed=DEFAULT_SEED):
    """The inventory-side description of host ``index``: name, groups, host vars, and the
    draws its facts need.  Depends only on ``(seed, index)``."""
    rng = random.Random(seed * 1_000_003 + index)
    role = _pick(rng, ROLES)[0]
    dc = _pick(rng, DATACENTERS)[0]
    env = _pick(rng, ENVIRONMENTS)[0]
    name = host_name(role, index)
    octets = (10, (index >> 16) & 0xFF, (index >> 8) & 0xFF, index & 0xFF)
    ip = "%d.%d.%d.%d" % octets
    hostvars = {
        "ansible_host": ip,
        "datacenter": dc,
        "rack": "r%02d-%02d" % (rng.randrange(1, 40), rng.randrange(1, 42)),
        "owner": rng.choice(["team-payments", "team-search", "team-platform", "team-data", "team-edge"]),
        "monitoring": {"enabled": rng.random() < 0.9, "port": 9100},
    }
    if rng.random() < 0.1:
        hostvars["maintenance"] = True
    return {"index": index, "name": name, "role": role, "datacenter": dc, "env": env,
            "ip": ip, "vars": hostvars, "seed": seed}


def host_facts(record):
    """The ``ansible_facts`` of one host, shaped like ``setup`` returns them."""
    # a second stream, so that records can be made without facts and facts without keeping state
    rng = random.Random((record["seed"] * 1_000_003 + record["index"]) * 2 + 1)
    name, ip = record["name"], record["ip"]
    dist, version, major, release, family, pkg_mgr, kernel_fmt, pyver, _w = _pick(rng, DISTRIBUTIONS)
    kernel = kernel_fmt.format(p=rng.randrange(60, 120), q=rng.randrange(13, 30), r=rng.randrange(300, 400),
                               s=rng.randrange(1100, 1160))
    vendor, model, system_vendor, family_prefix, vcpu_table, _w = _pick(rng, CPUS)
    vcpus = _pick(rng, vcpu_table)[0]
    threads = 1 if vcpus == 1 else 2
    cores = max(1, vcpus // threads)
    processor = []
    for n in range(vcpus):
        processor += [str(n), vendor, model]
    memtotal = vcpus * rng.choice([2048, 4096, 8192]) - rng.randrange(100, 400)
    memfree = rng.randrange(memtotal // 20, memtotal // 2)
    swaptotal = rng.choice([0, 0, 2047, 4095])
    fqdn = "%s.%s.example.com" % (name, record["datacenter"])
    ipv6_disabled = rng.random() < 0.15
    lo_ipv6 = [] if ipv6_disabled else [{"address": "::1", "prefix": "128", "scope": "host"}]
    mac = _mac(rng)
    eth_module = "ena" if system_vendor == "Amazon EC2" else "virtio_net"

    def features(names):
        return {f: rng.choice(FEATURE_VALUES) for f in names}

    eth0 = {
        "active": True, "device": "eth0", "features": features(ETH_FEATURES), "hw_timestamp_filters": [],
        "ipv4": {"address": ip, "broadcast": "10.%d.%d.255" % (int(ip.split(".")[1]), int(ip.split(".")[2])),
                 "netmask": "255.255.255.0", "network": ip.rsplit(".", 1)[0] + ".0", "prefix": "24"},
        "macaddress": mac, "module": eth_module, "mtu": rng.choice([1500, 9001]),
        "pciid": "0000:00:05.0", "promisc": False, "speed": -1,
        "timestamping": [], "type": "ether",
    }
    interfaces = ["lo", "eth0"]
    link_local = "fe80::%x:%x:%x:%x" % tuple(rng.randrange(1 << 16) for dummy in range(4))
    if not ipv6_disabled:
        eth0["ipv6"] = [{"address": link_local, "prefix": "64", "scope": "link"}]
    lo = {"active": True, "device": "lo", "features": features(LO_FEATURES), "hw_timestamp_filters": [],
          "ipv4": {"address": "127.0.0.1", "broadcast": "", "netmask": "255.0.0.0", "network": "127.0.0.0", "prefix": "8"},
          "mtu": 65536, "promisc": False, "timestamping": [], "type": "loopback"}
    if lo_ipv6:
        lo["ipv6"] = lo_ipv6
    facts = {}
    if rng.random() < 0.2:
        interfaces.append("docker0")
        facts["ansible_docker0"] = {
            "active": False, "device": "docker0", "id": "8000.%s" % _hex(rng, 12), "interfaces": [],
            "ipv4": {"address": "172.17.0.1", "broadcast": "172.17.255.255", "netmask": "255.255.0.0",
                     "network": "172.17.0.0", "prefix": "16"},
            "macaddress": _mac(rng), "mtu": 1500, "promisc": False, "stp": False, "type": "bridge"}
    epoch = BASE_EPOCH + record["index"] % 86400
    tm = time.gmtime(epoch)
    mounts = []
    for mount, fstype, size_gb in rng.choice(MOUNT_SETS):
        block_size = 4096
        total = int(size_gb * 1024 ** 3 / block_size)
        used = rng.randrange(total // 10, max(total // 10 + 1, total * 9 // 10))
        inodes = max(1024, total // 4)
        inode_used = rng.randrange(inodes // 50, inodes // 5)
        device = "/dev/nvme0n1p%d" % (len(mounts) + 1)
        mounts.append({
            "block_available": total - used, "block_size": block_size, "block_total": total, "block_used": used,
            "device": device, "dump": 0, "fstype": fstype, "inode_available": inodes - inode_used,
            "inode_total": inodes, "inode_used": inode_used, "mount": mount,
            "options": "rw,relatime" if fstype != "vfat" else "rw,relatime,fmask=0077,dmask=0077,codepage=437",
            "passno": 0, "size_available": (total - used) * block_size, "size_total": total * block_size,
            "uuid": _uuid(rng) if fstype != "vfat" else "%s-%s" % (_hex(rng, 4).upper(), _hex(rng, 4).upper()),
        })
    user = "ubuntu" if dist == "Ubuntu" else ("admin" if dist == "Debian" else "ec2-user")
    py_exe = "/usr/bin/python3" if pyver[0] == 3 else "/usr/bin/python"
    facts.update({
        "ansible_all_ipv4_addresses": [ip] + (["172.17.0.1"] if "docker0" in interfaces else []),
        "ansible_all_ipv6_addresses": [] if ipv6_disabled else [link_local],
        "ansible_apparmor": {"status": "enabled" if family == "Debian" else "disabled"},
        "ansible_architecture": "x86_64",
        "ansible_cmdline": {"BOOT_IMAGE": "/boot/vmlinuz-%s" % kernel, "console": "ttyS0", "ro": True, "root": "UUID=%s" % mounts[0]["uuid"]},
        "ansible_date_time": {
            "date": time.strftime("%Y-%m-%d", tm), "day": time.strftime("%d", tm), "epoch": str(epoch),
            "epoch_int": str(epoch), "hour": time.strftime("%H", tm), "iso8601": time.strftime("%Y-%m-%dT%H:%M:%SZ", tm),
            "iso8601_basic": time.strftime("%Y%m%dT%H%M%S", tm) + "123456",
            "iso8601_basic_short": time.strftime("%Y%m%dT%H%M%S", tm),
            "iso8601_micro": time.strftime("%Y-%m-%dT%H:%M:%S", tm) + ".123456Z", "minute": time.strftime("%M", tm),
            "month": time.strftime("%m", tm), "second": time.strftime("%S", tm), "time": time.strftime("%H:%M:%S", tm),
            "tz": "UTC", "tz_dst": "UTC", "tz_offset": "+0000", "weekday": WEEKDAYS[tm.tm_wday],
            "weekday_number": str((tm.tm_wday + 1) % 7), "weeknumber": time.strftime("%W", tm), "year": time.strftime("%Y", tm)},
        "ansible_default_ipv4": {"address": ip, "alias": "eth0", "broadcast": eth0["ipv4"]["broadcast"],
                                 "gateway": ip.rsplit(".", 1)[0] + ".1", "interface": "eth0", "macaddress": mac,
                                 "mtu": eth0["mtu"], "netmask": "255.255.255.0", "network": eth0["ipv4"]["network"],
                                 "prefix": "24", "type": "ether"},
        "ansible_default_ipv6": {},
        "ansible_distribution": dist,
        "ansible_distribution_file_variety": family if family != "Debian" or dist == "Debian" else dist,
        "ansible_distribution_major_version": major,
        "ansible_distribution_release": release.lower() if family == "Debian" else release,
        "ansible_distribution_version": version,
        "ansible_dns": {"nameservers": ["127.0.0.53"] if dist == "Ubuntu" else ["10.0.0.2"],
                        "options": {"edns0": True, "trust-ad": True},
                        "search": ["%s.compute.internal" % record["datacenter"], "example.com"]},
        "ansible_domain": "%s.example.com" % record["datacenter"],
        "ansible_effective_group_id": 0, "ansible_effective_user_id": 0,
        "ansible_env": {
            "HOME": "/root", "LANG": "C.UTF-8", "LOGNAME": "root", "MAIL": "/var/mail/root",
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "PWD": "/home/%s" % user,
            "SHELL": "/bin/bash", "SHLVL": "1", "SUDO_GID": "1000", "SUDO_UID": "1000", "SUDO_USER": user, "TERM": "xterm-256color", "USER": "root",
            "_": py_exe},
        "ansible_eth0": eth0,
        "ansible_fibre_channel_wwn": [],
        "ansible_fips": False,
        "ansible_form_factor": "Other",
        "ansible_fqdn": fqdn,
        "ansible_hostname": name,
        "ansible_hostnqn": "",
        "ansible_interfaces": sorted(interfaces),
        "ansible_is_chroot": False,
        "ansible_iscsi_iqn": "",
        "ansible_kernel": kernel,
        "ansible_kernel_version": "#%d SMP PREEMPT_DYNAMIC" % rng.randrange(1, 200),
        "ansible_lo": lo,
        "ansible_loadavg": {"15m": round(rng.random() * vcpus, 2), "1m": round(rng.random() * vcpus, 2),
                            "5m": round(rng.random() * vcpus, 2)},
        "ansible_lsb": ({"codename": release.lower(), "description": "%s %s" % (dist, version), "id": dist,
                         "major_release": major, "release": version} if family == "Debian" else {}),
        "ansible_lvm": "N/A",
        "ansible_machine": "x86_64",
        "ansible_machine_id": _hex(rng, 32),
        "ansible_memfree_mb": memfree,
        "ansible_memory_mb": {"nocache": {"free": memfree + 300, "used": memtotal - memfree - 300},
                              "real": {"free": memfree, "total": memtotal, "used": memtotal - memfree},
                              "swap": {"cached": 0, "free": swaptotal, "total": swaptotal, "used": 0}},
        "ansible_memtotal_mb": memtotal,
        "ansible_mounts": mounts,
        "ansible_nodename": name,
        "ansible_os_family": family,
        "ansible_pkg_mgr": pkg_mgr,
        "ansible_processor": processor,
        "ansible_processor_cores": cores,
        "ansible_processor_count": 1,
        "ansible_processor_nproc": vcpus,
        "ansible_processor_threads_per_core": threads,
        "ansible_processor_vcpus": vcpus,
        "ansible_product_name": "%s.%s" % (family_prefix, {1: "large", 2: "large", 4: "xlarge"}.get(vcpus, "%dxlarge" % (vcpus // 4))),
        "ansible_product_serial": "ec2%s" % _hex(rng, 29),
        "ansible_product_uuid": "ec2%s" % _uuid(rng)[3:],
        "ansible_product_version": "NA",
        "ansible_python": {"executable": py_exe, "has_sslcontext": True, "type": "cpython",
                           "version": {"major": pyver[0], "micro": pyver[2], "minor": pyver[1], "releaselevel": "final",
                                       "serial": 0},
                           "version_info": [pyver[0], pyver[1], pyver[2], "final", 0]},
        "ansible_python_version": "%d.%d.%d" % pyver,
        "ansible_real_group_id": 0, "ansible_real_user_id": 0,
        "ansible_selinux": {"status": "disabled"} if family == "Debian" else
        {"config_mode": "enforcing", "mode": "enforcing", "policyvers": 33, "status": "enabled", "type": "targeted"},
        "ansible_selinux_python_present": True,
        "ansible_service_mgr": "systemd",
        "ansible_ssh_host_key_ecdsa_public": "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBB" + _b64(rng, 88),
        "ansible_ssh_host_key_ecdsa_public_keytype": "ecdsa-sha2-nistp256",
        "ansible_ssh_host_key_ed25519_public": "AAAAC3NzaC1lZDI1NTE5AAAAI" + _b64(rng, 43),
        "ansible_ssh_host_key_ed25519_public_keytype": "ssh-ed25519",
        "ansible_swapfree_mb": swaptotal,
        "ansible_swaptotal_mb": swaptotal,
        "ansible_system": "Linux",
        "ansible_system_capabilities": CAPABILITIES,
        "ansible_system_capabilities_enforced": "True",
        "ansible_system_vendor": system_vendor,
        "ansible_uptime_seconds": rng.randrange(3600, 90 * 86400),
        "ansible_user_dir": "/root",
        "ansible_user_gecos": "root",
        "ansible_user_gid": 0,
        "ansible_user_id": "root",
        "ansible_user_shell": "/bin/bash",
        "ansible_user_uid": 0,
        "ansible_userspace_architecture": "x86_64",
        "ansible_userspace_bits": "64",
        "ansible_virtualization_role": "guest",
        "ansible_virtualization_type": "kvm",
        "gather_subset": ["all"],
        "module_setup": True,
    })
    return dict(sorted(facts.items()))


def hosts(n, seed=DEFAULT_SEED):
    """The host records 0..n-1 (without facts)."""
    for i in range(n):
        yield host_record(i, seed)


def _dist(f):
    return f["ansible_distribution"]


def benchmark_filters(n):
    """The host_filters the benchmark times, each with a Python predicate over ``(record, facts)``
    that gives the count it must return (so a filter that silently matches nothing shows up).

    ``kind`` is ``host`` (columns and relations) or ``fact`` (a fact path); ``smart`` marks the
    filters used for the smart-inventory comparison."""
    probe = min(42, max(n - 1, 0))
    probe_name = host_record(probe)["name"]
    probe_ip = host_record(probe)["ip"]
    return [
        {"label": "name exact", "kind": "host", "host_filter": "name=%s" % probe_name,
         "predicate": lambda r, f: r["index"] == probe},
        {"label": "name startswith", "kind": "host", "host_filter": "name__startswith=web",
         "predicate": lambda r, f: r["name"].startswith("web")},
        {"label": "group name", "kind": "host", "host_filter": "groups__name=db",
         "predicate": lambda r, f: r["role"] == "db"},
        {"label": "fact string", "kind": "fact", "host_filter": 'ansible_facts__ansible_distribution="Ubuntu"',
         "predicate": lambda r, f: _dist(f) == "Ubuntu"},
        {"label": "fact string, rare", "kind": "fact", "host_filter": 'ansible_facts__ansible_distribution_version="7.9"',
         "predicate": lambda r, f: f["ansible_distribution_version"] == "7.9"},
        {"label": "fact nested dict", "kind": "fact", "host_filter": 'ansible_facts__ansible_default_ipv4__address="%s"' % probe_ip,
         "predicate": lambda r, f: f["ansible_default_ipv4"]["address"] == probe_ip},
        {"label": "fact nested array of dicts", "kind": "fact", "host_filter": 'ansible_facts__ansible_lo__ipv6[]__scope="host"',
         "predicate": lambda r, f: any(a.get("scope") == "host" for a in f["ansible_lo"].get("ipv6", []))},
        {"label": "fact array contains", "kind": "fact", "host_filter": 'ansible_facts__ansible_processor[]="GenuineIntel"',
         "predicate": lambda r, f: "GenuineIntel" in f["ansible_processor"]},
        {"label": "fact numeric gte", "kind": "fact", "host_filter": "ansible_facts__ansible_processor_vcpus__gte=8",
         "predicate": lambda r, f: f["ansible_processor_vcpus"] >= 8},
        {"label": "and/or combination", "kind": "fact",
         "host_filter": '(ansible_facts__ansible_distribution="Ubuntu" or ansible_facts__ansible_distribution="Debian")'
                        ' and groups__name=web and ansible_facts__ansible_processor_vcpus__gte=8',
         "predicate": lambda r, f: _dist(f) in ("Ubuntu", "Debian") and r["role"] == "web" and f["ansible_processor_vcpus"] >= 8},
    ]


#: smart-inventory comparison filters: every host (fleets up to ~50k hosts), or ~10% of them (RHEL 9)
SMART_FILTERS = [
    {"label": "all Linux hosts", "host_filter": 'ansible_facts__ansible_system="Linux"', "share": 1.0,
     "predicate": lambda r, f: f["ansible_system"] == "Linux"},
    {"label": "RHEL 9 hosts", "share": 0.10,
     "host_filter": 'ansible_facts__ansible_distribution="RedHat" and ansible_facts__ansible_distribution_major_version="9"',
     "predicate": lambda r, f: _dist(f) == "RedHat" and f["ansible_distribution_major_version"] == "9"},
]


def _group_tree():
    """Static groups: name -> (children, vars)."""
    tree = {
        "frontend": (["web", "lb"], {"tier": "frontend"}),
        "backend": (["app", "db", "cache", "batch"], {"tier": "backend"}),
        "infra": (["mon"], {"tier": "infra"}),
        "datacenters": (["region_us", "region_eu", "region_ap"], {}),
        "region_us": (["dc_us_east_1", "dc_us_west_2"], {"region": "us"}),
        "region_eu": (["dc_eu_central_1"], {"region": "eu"}),
        "region_ap": (["dc_ap_south_1"], {"region": "ap"}),
        "environments": (["prod", "staging", "dev"], {}),
    }
    for role, _w in ROLES:
        tree[role] = ([], dict(ROLE_VARS[role]))
    for dc, _w in DATACENTERS:
        tree[dc_group(dc)] = ([], {"ntp_server": "ntp.%s.example.com" % dc, "dns_zone": "%s.example.com" % dc})
    for env, _w in ENVIRONMENTS:
        tree[env] = ([], {"env": env, "alerting": env == "prod"})
    return tree


def dc_group(dc):
    return "dc_" + dc.replace("-", "_")


def static_inventory(records):
    """The inventory in the ``yaml`` plugin's format.  Host vars sit under the host's role group;
    its other groups list it with no vars (``null``)."""
    tree = _group_tree()
    members = {g: {} for g in tree}
    for rec in records:
        members[rec["role"]][rec["name"]] = rec["vars"]
        members[dc_group(rec["datacenter"])][rec["name"]] = None
        members[rec["env"]][rec["name"]] = None
    top = ["frontend", "backend", "infra", "datacenters", "environments"]

    def node(group):
        children, gvars = tree[group]
        out = {}
        if gvars:
            out["vars"] = gvars
        if members[group]:
            out["hosts"] = members[group]
        if children:
            out["children"] = {c: node(c) for c in children}
        return out

    return {"all": {"vars": {"ansible_user": "deploy", "ansible_python_interpreter": "auto_silent"},
                    "children": {g: node(g) for g in top}}}


def generate(n, out, seed=DEFAULT_SEED, with_facts=True, log=None):
    """Write static.json, facts/ and manifest.json for ``n`` hosts into ``out``; returns the manifest."""
    t0 = time.perf_counter()
    os.makedirs(out, exist_ok=True)
    facts_dir = os.path.join(out, "facts")
    if with_facts:
        os.makedirs(facts_dir, exist_ok=True)
    records = list(hosts(n, seed))
    counts = {k: Counter() for k in ("role", "datacenter", "env", "distribution", "distribution_version", "vcpus",
                                     "cpu_vendor", "lo_ipv6_host", "vcpus_gte_8")}
    fact_bytes = []
    digest = hashlib.sha256()
    filters = benchmark_filters(n) + SMART_FILTERS
    expected = dict.fromkeys((flt["host_filter"] for flt in filters), 0)
    for rec in records:
        counts["role"][rec["role"]] += 1
        counts["datacenter"][rec["datacenter"]] += 1
        counts["env"][rec["env"]] += 1
        if not with_facts:
            continue
        facts = host_facts(rec)
        text = json.dumps(facts)
        fact_bytes.append(len(text))
        digest.update(text.encode())
        with open(os.path.join(facts_dir, rec["name"] + ".json"), "w", encoding="utf-8") as fh:
            fh.write(text)
        counts["distribution"][facts["ansible_distribution"]] += 1
        counts["distribution_version"]["%s %s" % (facts["ansible_distribution"], facts["ansible_distribution_version"])] += 1
        counts["vcpus"][str(facts["ansible_processor_vcpus"])] += 1
        counts["vcpus_gte_8"][str(facts["ansible_processor_vcpus"] >= 8)] += 1
        counts["cpu_vendor"][facts["ansible_processor"][1]] += 1
        counts["lo_ipv6_host"][str(any(a.get("scope") == "host" for a in facts["ansible_lo"].get("ipv6", [])))] += 1
        for flt in filters:
            if flt["predicate"](rec, facts):
                expected[flt["host_filter"]] += 1
        if log and (rec["index"] + 1) % 10000 == 0:
            log("  generated %d/%d hosts" % (rec["index"] + 1, n))
    inventory = static_inventory(records)
    static_path = os.path.join(out, "static.json")
    with open(static_path, "w", encoding="utf-8") as fh:
        json.dump(inventory, fh)
    manifest = {
        "hosts": n, "seed": seed,
        "names": [r["name"] for r in records[:100]],
        "counts": {k: dict(sorted(v.items())) for k, v in counts.items()},
        # host_filter -> number of hosts it must return (only known when facts were generated)
        "expected": expected if with_facts else {},
        "static_json": static_path, "static_json_bytes": os.path.getsize(static_path),
        "facts_dir": facts_dir if with_facts else None,
        "facts_bytes_total": sum(fact_bytes),
        "facts_bytes_min": min(fact_bytes) if fact_bytes else 0,
        "facts_bytes_max": max(fact_bytes) if fact_bytes else 0,
        "facts_sha256": digest.hexdigest() if with_facts else None,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=1, sort_keys=True)
    return manifest


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--hosts", type=int, required=True, help="number of hosts")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--no-facts", action="store_true", help="write only static.json and manifest.json")
    args = parser.parse_args(argv)
    manifest = generate(args.hosts, args.out, args.seed, with_facts=not args.no_facts,
                        log=lambda m: print(m, file=sys.stderr))
    summary = {k: manifest[k] for k in ("hosts", "seed", "static_json_bytes", "facts_bytes_total", "facts_bytes_min",
                                        "facts_bytes_max", "seconds")}
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
