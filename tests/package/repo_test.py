#!/usr/bin/env python3
"""A fleet's delivery: jmem from a signed apt repository (packaging/repo.sh) onto a device under real
systemd 252 in a container, its upgrade published into the same repository, and a site policy
package (packaging/site-policy.sh) installed, upgraded and removed.

The repository holds amd64 and arm64 (when DEB_DIR has it) in one distribution; the container, with a
network of its own and no Debian mirror, fetches it over HTTP on its loopback with the repository's
key in signed-by=, so everything comes from the repository and what the root already holds. apt must
refuse the same packages unsigned, signed by another key, with a tampered InRelease, and a package
swapped in the pool. Then: install (running, `jmemctl status` for an ordinary user) -> an edit of
the conffile and an applied policy -> the newer version published: apt-get upgrade takes it (jmemd
restarted, the edit and the applied changes kept) -> a site drop-in built in the container with the
jmemd installed there (a contradicting one refused, no package written), lintian-clean, published,
installed (jmemd reloads: enforce mode and a 2 s tick, same process), upgraded to a version that
ships another drop-in (the first one gone), removed (the operator's policy again), reinstalled, purged.

DEB_DIR holds jmem_VERSION_amd64.deb, jmem_VERSION+test1_amd64.deb and jmem_VERSION_arm64.deb."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import jetson_units
from container import PACKAGES_WITH_POLKIT, Container
from harness import ROOT, Checks, wait_for
from installed import check_service_ready, ctl, version

NOBODY = "65534"
UPGRADE_SUFFIX = "+test1"
CODENAME = "jmem"
REPOS = "/srv/jmem-repos"  # the host's repositories, bound read-only into the container
PACKAGING = "/opt/jmem/packaging"  # the checkout's packaging/, where site-policy.sh finds its files
PORT = 8080
KEYRING = "/usr/share/keyrings/jmem-archive-keyring.gpg"
SOURCES = "/etc/apt/sources.list.d/jmem.list"
OPERATOR_EDIT = "\n# Edited by the operator: keep through upgrades.\n"
JOURNAL = "/var/lib/jmem/changes.jsonl"
SITE = "lab"
SITE_PACKAGE = f"jmem-policy-{SITE}"
SITE_DROPIN = "# The lab's devices are held to the policy; a slower tick.\nmode = \"enforce\"\n" \
              "sample_interval_ms = 2000\n"
# Valid TOML, but bluetooth.service is in the default policy's network class, disabled, not masked.
BAD_DROPIN = "[classes.site]\naction = \"mask\"\nunits = [\"bluetooth.service\"]\n"
SITE_DROPIN_V2 = "# Audit again, with a 3 s tick.\nsample_interval_ms = 3000\n"
# The operator puts jmem-lab.service into the default policy's journal class (mask); a site class that
# disables it is valid against the default policy, where build time validates it, but not on the device.
OPERATOR_UNIT_EDIT = r's/^units = \["rsyslog.service"\]/units = ["rsyslog.service", "jmem-lab.service"]/'
CONFLICTING_DROPIN = "[classes.site]\naction = \"disable\"\nunits = [\"jmem-lab.service\"]\n"



def repo_sh(*args):
    return subprocess.run([os.path.join(ROOT, "packaging/repo.sh"), *args], capture_output=True, text=True)


def packages(repo, arch):
    """{(name, version)} of the repository's index for arch."""
    path = os.path.join(repo, f"dists/{CODENAME}/main/binary-{arch}/Packages")
    if not os.path.exists(path):
        return set()
    with open(path) as f:
        stanzas = [dict(re.findall(r"^([\w-]+): (.*)$", s, re.M)) for s in f.read().split("\n\n") if s.strip()]
    return {(s.get("Package"), s.get("Version")) for s in stanzas}


def apt(c, *args):
    return c.run("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-q", "-y", *args, timeout=300, input_text="")


def apt_messages(result):
    """apt's warnings and errors (W:, E: and Err: lines)."""
    return [l for l in (result.stdout + result.stderr).splitlines() if re.match(r"^(W:|E:|Err:)", l)]


def status(c):
    result = ctl(c, "--json", "status")
    return json.loads(result.stdout) if result.returncode == 0 and result.stdout else {}


def running_policy(c):
    """What jmemd runs, for a check's detail."""
    s = status(c)
    return {key: s.get(key) for key in ("mode", "sample_interval_usec")}


def installed(c, package):
    result = c.run("dpkg-query", "-W", "-f=${db:Status-Status} ${Version}", package)
    return result.stdout.split() if result.returncode == 0 else []


def exists(c, path):
    return c.run("test", "-e", path).returncode == 0


def policy_becomes(c, mode, interval_usec):
    """jmemd reloads asynchronously (SIGHUP): wait until it runs the policy, else return what it runs."""
    try:
        wait_for(lambda: (s := status(c)).get("mode") == mode and s.get("sample_interval_usec") == interval_usec, 20,
                 f"jmemd to run {mode} mode at {interval_usec} us")
        return True
    except TimeoutError:
        return False


def use_repository(c, name):
    c.write(SOURCES, f"deb [signed-by={KEYRING}] http://127.0.0.1:{PORT}/{name} {CODENAME} main\n")


def test_build_repository(t, repo, keys, debs):
    started = time.monotonic()
    result = repo_sh("--out", repo, "--key-dir", keys, *debs)
    t.check("repo.sh without --key-id does not create a key unasked, naming --create-test-key",
            result.returncode == 1 and "--create-test-key" in result.stderr and
            (not os.path.exists(repo) or not os.listdir(repo)), result.stderr)
    result = repo_sh("--out", repo, "--key-dir", keys, "--create-test-key", *debs)
    print(f"packaging/repo.sh with {len(debs)} packages, a new key: {time.monotonic() - started:.1f} s")
    t.check("repo.sh builds the repository", result.returncode == 0, result.stdout + result.stderr)
    inrelease = os.path.join(repo, f"dists/{CODENAME}/InRelease")
    keyring = os.path.join(repo, "jmem-archive-keyring.gpg")
    t.check("Release is signed (InRelease and Release.gpg)",
            os.path.exists(inrelease) and os.path.exists(os.path.join(repo, f"dists/{CODENAME}/Release.gpg")))
    with open(keyring, "rb") as f:
        key = f.read()
    t.check("the public key is a binary keyring for signed-by=", key[:1] and not key.startswith(b"-----BEGIN"))
    verified = subprocess.run(["gpgv", "--keyring", keyring, inrelease], capture_output=True, text=True)
    t.check("InRelease verifies with the exported keyring", verified.returncode == 0, verified.stderr)
    with open(inrelease) as f:
        valid_until = re.search(r"^Valid-Until: (.*)$", f.read(), re.M)
    t.check("Release carries Valid-Until (30 days by default)", valid_until is not None and
            "ValidFor: 30d" in open(os.path.join(repo, "conf/distributions")).read(),
            valid_until and valid_until.group(1))
    for deb in debs:
        fields = subprocess.run(["dpkg-deb", "-f", deb, "Package", "Version", "Architecture"], capture_output=True,
                                text=True).stdout
        found = dict(re.findall(r"^(\w+): (.*)$", fields, re.M))
        t.check(f"the {found.get('Architecture')} index lists {found.get('Package')} {found.get('Version')}",
                (found.get("Package"), found.get("Version")) in packages(repo, found.get("Architecture")))

    # Bad arguments and files are refused, naming what is wrong, and change nothing.
    with open(inrelease, "rb") as f:
        signed = f.read()
    result = repo_sh("--key-dir", keys, debs[0])
    t.check("repo.sh without --out: usage, exit 2", result.returncode == 2 and "Usage:" in result.stderr,
            result.stderr)
    bogus = os.path.join(os.path.dirname(repo), "bogus.deb")
    with open(bogus, "w") as f:
        f.write("not a package\n")
    result = repo_sh("--out", repo, "--key-dir", keys, bogus)
    t.check("repo.sh refuses a file that is no package, naming it", result.returncode == 1 and bogus in result.stderr,
            result.stderr)
    with open(inrelease, "rb") as f:
        t.check("and changes nothing", f.read() == signed)
    result = repo_sh("--out", repo, "--key-dir", keys, "--key-id", "fleet@example.org")
    t.check("repo.sh refuses a --key-id it cannot find, naming it", result.returncode == 1 and
            "--key-id fleet@example.org" in result.stderr, result.stderr)
    before = int(os.stat(inrelease).st_mtime)
    result = repo_sh("--out", repo, "--key-dir", keys, debs[0])
    t.check("publishing the same file again is skipped", result.returncode == 0 and "already published" in
            result.stdout, result.stdout + result.stderr)
    # HTTP's Last-Modified counts whole seconds: indices of the same second would be answered 304.
    after = int(os.stat(inrelease).st_mtime)
    t.check("a publish moves the indices to a later second than the last one's", after > before, (before, after))


def test_own_key(t, work, repo, deb):
    """A fleet signs with its own key (--key-id): that key signs, and none is created beside it. A
    repository signed by another key does not change keys unasked."""
    keys = os.path.join(work, "fleet-keys")
    os.makedirs(keys, mode=0o700)
    env = dict(os.environ, GNUPGHOME=keys)
    subprocess.run(["gpg", "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", "",
                    "--quick-generate-key", "Example fleet <fleet@example.org>", "ed25519", "sign", "never"], env=env,
                   check=True)
    fingerprint = re.search(r"^fpr:+([0-9A-F]+):", subprocess.run(
        ["gpg", "--batch", "--with-colons", "--list-secret-keys"], env=env, capture_output=True, text=True).stdout,
        re.M).group(1)
    own = os.path.join(work, "own-key-repo")
    result = repo_sh("--out", own, "--key-dir", keys, "--key-id", "fleet@example.org", deb)
    t.check("repo.sh signs with the fleet's own key (--key-id)", result.returncode == 0 and fingerprint in
            result.stdout, result.stdout + result.stderr)
    listed = subprocess.run(["gpg", "--batch", "--with-colons", "--list-secret-keys"], env=env, capture_output=True,
                            text=True).stdout
    t.check("and creates no key of its own", listed.count("\nsec:") + listed.startswith("sec:") == 1, listed)
    verified = subprocess.run(["gpgv", "--keyring", os.path.join(own, "jmem-archive-keyring.gpg"),
                               os.path.join(own, f"dists/{CODENAME}/InRelease")], capture_output=True, text=True)
    t.check("its keyring is the fleet's key", verified.returncode == 0 and fingerprint[-16:] in verified.stderr,
            verified.stderr)
    inrelease = os.path.join(repo, f"dists/{CODENAME}/InRelease")
    with open(inrelease, "rb") as f:
        signed = f.read()
    result = repo_sh("--out", repo, "--key-dir", keys, "--key-id", "fleet@example.org", deb)
    t.check("repo.sh refuses to sign an existing repository with another key, naming --rotate-key",
            result.returncode == 1 and "--rotate-key" in result.stderr and fingerprint in result.stderr,
            result.stderr)
    with open(inrelease, "rb") as f:
        t.check("and leaves it signed as it was", f.read() == signed)
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env)


def make_bad_repositories(t, repos, repo, attacker_keys, deb, newer_deb):
    """Copies of the repository an attacker could serve: unsigned, signed by the attacker's own key
    (named like the real one), with a tampered InRelease, and with another file in the pool."""
    unsigned = os.path.join(repos, "unsigned")
    shutil.copytree(repo, unsigned)
    for name in ("InRelease", "Release.gpg"):
        os.remove(os.path.join(unsigned, f"dists/{CODENAME}", name))
    result = repo_sh("--out", os.path.join(repos, "forged"), "--key-dir", attacker_keys, "--create-test-key", deb)
    t.check("an attacker's key builds a repository too", result.returncode == 0, result.stderr)
    tampered = os.path.join(repos, "tampered")
    shutil.copytree(repo, tampered)
    path = os.path.join(tampered, f"dists/{CODENAME}/InRelease")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("Label: jmem", "Label: jmex", 1))
    swapped = os.path.join(repos, "swapped")
    shutil.copytree(repo, swapped)
    pool = os.path.join(swapped, "pool/main/j/jmem", os.path.basename(deb))
    shutil.copyfile(newer_deb, pool)


def test_bad_repositories(t, c):
    checks = (("unsigned", "is not signed"), ("forged", "NO_PUBKEY"), ("tampered", "BADSIG"))
    for name, message in checks:
        use_repository(c, name)
        result = apt(c, "update")
        errors = apt_messages(result)
        t.check(f"apt refuses the {name} repository ({message})",
                result.returncode != 0 and any(message in e for e in errors), errors or result.stdout[-800:])
        print(f"{name}: {next((e for e in errors if message in e), '')[:160]}")
        policy = c.run("apt-cache", "policy", "jmem").stdout
        t.check(f"and offers nothing from the {name} repository",
                "Candidate: (none)" in policy or policy.strip() == "", policy)
    use_repository(c, "swapped")
    result = apt(c, "update")
    t.check("the repository with a swapped package updates (its indices are signed)", result.returncode == 0,
            apt_messages(result))
    result = apt(c, "install", "jmem")
    refusal = re.search(r".*(Hash Sum mismatch|unexpected size).*", result.stdout + result.stderr)
    t.check("apt refuses the swapped package (its hash is not the index's)", result.returncode != 0 and refusal,
            apt_messages(result))
    print(f"swapped: {refusal.group(0)[:160] if refusal else ''}")
    t.check("and jmem is not installed", installed(c, "jmem")[:1] != ["installed"], installed(c, "jmem"))


def test_install(t, c, first, arm64_deb):
    use_repository(c, "fleet")
    result = apt(c, "update")
    t.check("apt-get update takes the signed repository without warning", result.returncode == 0 and
            not apt_messages(result), apt_messages(result) or result.stderr[-800:])
    policy = c.run("apt-cache", "policy", "jmem").stdout
    t.check(f"apt offers jmem {first} from it", f"Candidate: {first}" in policy and
            f"127.0.0.1:{PORT}/fleet {CODENAME}/main" in policy, policy)
    if arm64_deb:
        # An arm64 device sees the same distribution: apt fetches the arm64 package and checks its hash.
        c.run("dpkg", "--add-architecture", "arm64")
        update = apt(c, "update")
        c.run("install", "-d", "-o", "_apt", "/srv/download")
        download = c.run("sh", "-c", "cd /srv/download && apt-get -q download jmem:arm64", timeout=120)
        fetched = c.run("sha256sum", f"/srv/download/jmem_{first}_arm64.deb").stdout.split()[:1]
        with open(arm64_deb, "rb") as f:
            expected = hashlib.sha256(f.read()).hexdigest()
        t.check("apt on arm64 gets jmem's arm64 package from the same distribution",
                update.returncode == 0 and download.returncode == 0 and fetched == [expected],
                (apt_messages(update), download.stderr[-500:], fetched))
        c.run("rm", "-rf", "/srv/download")
        c.run("dpkg", "--remove-architecture", "arm64")
        apt(c, "update")

    started = time.monotonic()
    result = apt(c, "install", "jmem")
    print(f"apt-get install jmem: {time.monotonic() - started:.1f} s "
          f"({(re.search(r'[0-9]+ newly installed', result.stdout) or [''])[0]})")
    t.check("apt-get install jmem installs it, dependencies resolved by apt", result.returncode == 0,
            result.stdout[-1500:] + result.stderr[-1500:])
    t.check(f"jmem {first} is installed", installed(c, "jmem") == ["installed", first], installed(c, "jmem"))
    check_service_ready(t, c)
    result = ctl(c, "status", user=NOBODY)
    t.check("jmemctl status works for an ordinary user", result.returncode == 0 and "jmemd" in result.stdout,
            result.stderr)


def test_upgrade(t, c, repo, keys, first, newer, first_deb, newer_deb, arm64_deb):
    # The operator edits the conffile (a faster tick) and applies the policy before the upgrade.
    c.run("sh", "-c", f"sed -i 's/^sample_interval_ms = 1000/sample_interval_ms = 500/' /etc/jmem/policy.toml && "
          f"printf '{OPERATOR_EDIT}' >> /etc/jmem/policy.toml")
    t.check("the operator's policy loads", ctl(c, "reload").returncode == 0 and policy_becomes(c, "audit", 500_000))
    applied = ctl(c, "apply")
    t.check("root applies the policy", applied.returncode == 0, applied.stderr + applied.stdout[-500:])
    t.check("the device is compliant", ctl(c, "check").returncode == 0)
    edited = c.run("cat", "/etc/jmem/policy.toml").stdout
    old_pid, old_start = c.show("jmemd", "MainPID"), c.show("jmemd", "ExecMainStartTimestampMonotonic")

    started = time.monotonic()
    result = repo_sh("--out", repo, "--key-dir", keys, newer_deb)
    print(f"packaging/repo.sh publishing {newer}: {time.monotonic() - started:.1f} s")
    t.check(f"repo.sh publishes {newer} into the same repository", result.returncode == 0, result.stderr)
    t.check(f"the amd64 index now has {newer}, not {first}", ("jmem", newer) in packages(repo, "amd64") and
            ("jmem", first) not in packages(repo, "amd64"), packages(repo, "amd64"))
    if arm64_deb:
        t.check(f"the arm64 index keeps {first}", ("jmem", first) in packages(repo, "arm64"), packages(repo, "arm64"))
    result = repo_sh("--out", repo, "--key-dir", keys, first_deb)
    t.check("repo.sh refuses to publish the older version again, naming the file",
            result.returncode == 1 and first_deb in result.stderr and "older" in result.stderr, result.stderr)

    result = apt(c, "update")
    t.check("apt-get update sees the new version", result.returncode == 0 and not apt_messages(result) and
            f"Candidate: {newer}" in c.run("apt-cache", "policy", "jmem").stdout, apt_messages(result))
    started = time.monotonic()
    result = apt(c, "upgrade")
    print(f"apt-get upgrade: {time.monotonic() - started:.1f} s")
    t.check("apt-get upgrade upgrades jmem (no conffile question)", result.returncode == 0,
            result.stdout[-1500:] + result.stderr[-1500:])
    t.check(f"jmem {newer} is installed", installed(c, "jmem") == ["installed", newer], installed(c, "jmem"))
    new_pid, new_start = c.show("jmemd", "MainPID"), c.show("jmemd", "ExecMainStartTimestampMonotonic")
    t.check("jmemd was restarted (new MainPID and start time)", new_pid not in (old_pid, "0") and
            new_start != old_start and c.show("jmemd", "SubState") == "running",
            (old_pid, new_pid, old_start, new_start))
    t.check("the operator's edit of the conffile is kept", c.run("cat", "/etc/jmem/policy.toml").stdout == edited)
    t.check("the restarted jmemd runs the operator's policy", policy_becomes(c, "audit", 500_000), running_policy(c))
    check = ctl(c, "check")
    t.check("the applied changes are kept through the upgrade", check.returncode == 0, check.stdout[-600:])
    t.check("so is their journal", c.run("test", "-s", JOURNAL).returncode == 0)


def build_site_package(t, c, version, dropins, out, user=None):
    """site-policy.sh run on the device, whose installed jmemd validates; the result in the container's out."""
    c.run("rm", "-rf", "/srv/site")
    c.run("mkdir", "-p", "/srv/site/out")
    for name, text in dropins.items():
        c.write(f"/srv/site/{name}", text)
    if user:
        c.run("chown", "-R", f"{user}:{user}", "/srv/site")
    started = time.monotonic()
    result = c.run(f"{PACKAGING}/site-policy.sh", "--name", SITE, "--version", version, "--out", "/srv/site/out",
                   *[f"/srv/site/{name}" for name in dropins], user=user, timeout=120)
    print(f"site-policy.sh {version} ({', '.join(dropins)}{', as nobody' if user else ''}): "
          f"{time.monotonic() - started:.1f} s")
    built = c.run("ls", "/srv/site/out").stdout.split()
    if result.returncode == 0 and built:
        os.makedirs(out, exist_ok=True)
        shutil.copyfile(f"/proc/{c.pid1}/root/srv/site/out/{built[0]}", os.path.join(out, built[0]))
    return result, built


def test_site_policy(t, c, repo, keys, out, jmem_version):
    # A drop-in that contradicts the default policy is refused at build time.
    result, built = build_site_package(t, c, "1", {"50-site.toml": SITE_DROPIN, "60-bad.toml": BAD_DROPIN}, out)
    t.check("site-policy.sh refuses a drop-in that contradicts the default policy", result.returncode != 0,
            result.stdout + result.stderr)
    t.check("naming the file and with jmem's message", "/srv/site/60-bad.toml" in result.stderr and
            "is also in class network" in result.stderr, result.stderr)
    t.check("and writes no package", built == [], built)
    print("refused drop-in: " + " | ".join(result.stderr.strip().splitlines()[:3]))
    result = c.run(f"{PACKAGING}/site-policy.sh", "--name", "Lab", "/srv/site/50-site.toml")
    t.check("a site name that is no Debian package name is refused (usage, exit 2)",
            result.returncode == 2 and '"Lab"' in result.stderr, result.stderr)

    result, built = build_site_package(t, c, "1", {"50-site.toml": SITE_DROPIN}, out, user=NOBODY)
    t.check("an ordinary user builds the site package (jmemd validates in a namespace of its own)",
            result.returncode == 0 and built == [f"{SITE_PACKAGE}_1_all.deb"], result.stdout + result.stderr)
    deb = os.path.join(out, f"{SITE_PACKAGE}_1_all.deb")
    started = time.monotonic()
    lintian = subprocess.run(["lintian", "--fail-on", "error,warning", deb], capture_output=True, text=True)
    print(f"lintian on the site package: {time.monotonic() - started:.1f} s")
    t.check("lintian passes the site package (no error, no warning)", lintian.returncode == 0,
            lintian.stdout + lintian.stderr)
    fields = subprocess.run(["dpkg-deb", "-f", deb, "Depends", "Architecture"], capture_output=True, text=True).stdout
    t.check(f"it depends on the jmem that validated it (>= {jmem_version}) and is Architecture: all",
            f"Depends: jmem (>= {jmem_version})\n" in fields and "Architecture: all" in fields, fields)
    result = repo_sh("--out", repo, "--key-dir", keys, deb)
    t.check("repo.sh publishes it", result.returncode == 0, result.stderr)
    t.check("for amd64 and arm64", all((SITE_PACKAGE, "1") in packages(repo, a) for a in ("amd64", "arm64")))

    pid = c.show("jmemd", "MainPID")
    result = apt(c, "update")
    t.check("apt-get update sees it", result.returncode == 0 and not apt_messages(result), apt_messages(result))
    result = apt(c, "install", SITE_PACKAGE)
    t.check("apt-get install installs the site package", result.returncode == 0,
            result.stdout[-1500:] + result.stderr[-1500:])
    conffiles = c.run("dpkg-query", "-W", "-f=${Conffiles}", SITE_PACKAGE).stdout
    t.check("its drop-in is a conffile in /etc/jmem/policy.d", "/etc/jmem/policy.d/50-site.toml" in conffiles,
            conffiles)
    t.check("jmemd runs the site policy: enforce mode, a 2 s tick", policy_becomes(c, "enforce", 2_000_000),
            running_policy(c))
    t.check("by a reload: the same process", c.show("jmemd", "MainPID") == pid, (pid, c.show("jmemd", "MainPID")))

    # The next version ships another drop-in: the first one must not stay in force.
    result, built = build_site_package(t, c, "2", {"60-site.toml": SITE_DROPIN_V2}, out)
    t.check("site-policy.sh builds version 2", result.returncode == 0, result.stderr)
    result = repo_sh("--out", repo, "--key-dir", keys, os.path.join(out, f"{SITE_PACKAGE}_2_all.deb"))
    t.check("repo.sh publishes version 2", result.returncode == 0, result.stderr)
    update, upgrade = apt(c, "update"), apt(c, "upgrade")
    t.check("apt-get upgrade takes it", update.returncode == 0 and upgrade.returncode == 0 and
            installed(c, SITE_PACKAGE) == ["installed", "2"], (apt_messages(update), upgrade.stderr[-800:]))
    t.check("the drop-in it no longer ships is gone", not exists(c, "/etc/jmem/policy.d/50-site.toml") and
            exists(c, "/etc/jmem/policy.d/60-site.toml"), c.run("ls", "/etc/jmem/policy.d").stdout)
    t.check("jmemd runs version 2: audit mode, a 3 s tick", policy_becomes(c, "audit", 3_000_000), running_policy(c))

    result = apt(c, "remove", SITE_PACKAGE)
    t.check("apt-get remove removes the site package", result.returncode == 0, result.stderr[-800:])
    t.check("its drop-in is out of force", c.run("ls", "/etc/jmem/policy.d").stdout.split() ==
            ["60-site.toml.dpkg-removed"], c.run("ls", "/etc/jmem/policy.d").stdout)
    t.check("jmemd runs the operator's policy again", policy_becomes(c, "audit", 500_000), running_policy(c))
    t.check("still the same process", c.show("jmemd", "MainPID") == pid, (pid, c.show("jmemd", "MainPID")))
    result = apt(c, "install", SITE_PACKAGE)
    t.check("reinstalled, the site policy is in force again", result.returncode == 0 and
            policy_becomes(c, "audit", 3_000_000), result.stderr[-800:])
    result = apt(c, "purge", SITE_PACKAGE)
    t.check("apt-get purge purges it", result.returncode == 0, result.stderr[-800:])
    t.check("nothing of it is left in /etc/jmem", not exists(c, "/etc/jmem/policy.d") and
            c.run("ls", "/etc/jmem").stdout.split() == ["policy.toml"], c.run("ls", "-R", "/etc/jmem").stdout)
    t.check("and jmemd runs the operator's policy", policy_becomes(c, "audit", 500_000), running_policy(c))
    test_refused_site_policy(t, c, repo, keys, out, pid)


def test_refused_site_policy(t, c, repo, keys, out, pid):
    """A drop-in valid against the default policy but not against the device's: the postinst refuses
    it (jmemd would not start on it), sets it aside and fails; a fixed version replaces it."""
    edited = c.run("cat", "/etc/jmem/policy.toml").stdout
    c.run("sed", "-i", OPERATOR_UNIT_EDIT, "/etc/jmem/policy.toml")
    t.check("the operator's policy puts jmem-lab.service in the journal class, and loads",
            ctl(c, "reload").returncode == 0 and "jmem-lab.service" in c.run("cat", "/etc/jmem/policy.toml").stdout
            and policy_becomes(c, "audit", 500_000), running_policy(c))
    result, built = build_site_package(t, c, "3", {"70-site.toml": CONFLICTING_DROPIN}, out)
    t.check("site-policy.sh builds version 3 (valid against the default policy)", result.returncode == 0,
            result.stderr)
    result = repo_sh("--out", repo, "--key-dir", keys, os.path.join(out, f"{SITE_PACKAGE}_3_all.deb"))
    t.check("repo.sh publishes version 3", result.returncode == 0, result.stderr)
    apt(c, "update")
    result = apt(c, "install", SITE_PACKAGE)
    output = result.stdout + result.stderr
    refusal = re.search(r".*is also in class journal.*", output)
    t.check("apt-get install fails with jmemd's message", result.returncode != 0 and refusal is not None,
            output[-1500:])
    print(f"refused on the device: {refusal.group(0)[:160] if refusal else ''}")
    t.check("the package stays half-configured", installed(c, SITE_PACKAGE) == ["half-configured", "3"],
            installed(c, SITE_PACKAGE))
    t.check("its drop-in is set aside as 70-site.toml.dpkg-refused", c.run("ls", "/etc/jmem/policy.d").stdout.split()
            == ["70-site.toml.dpkg-refused"], c.run("ls", "/etc/jmem/policy.d").stdout)
    t.check("jmemd still runs the operator's policy, same process", policy_becomes(c, "audit", 500_000) and
            c.show("jmemd", "MainPID") == pid, (running_policy(c), pid, c.show("jmemd", "MainPID")))
    check = c.run("/usr/sbin/jmemd", "--check-config")
    t.check("and would start on the policy in /etc/jmem", check.returncode == 0, check.stderr)

    result, built = build_site_package(t, c, "4", {"70-site.toml": SITE_DROPIN_V2}, out)
    result = repo_sh("--out", repo, "--key-dir", keys, os.path.join(out, f"{SITE_PACKAGE}_4_all.deb"))
    t.check("repo.sh publishes the fixed version 4", result.returncode == 0, result.stderr)
    update, install = apt(c, "update"), apt(c, "install", SITE_PACKAGE)
    t.check("apt-get install replaces the refused version with it", update.returncode == 0 and
            install.returncode == 0 and installed(c, SITE_PACKAGE) == ["installed", "4"],
            (installed(c, SITE_PACKAGE), install.stdout[-800:] + install.stderr[-800:]))
    t.check("its drop-in is in place, nothing set aside", c.run("ls", "/etc/jmem/policy.d").stdout.split() ==
            ["70-site.toml"], c.run("ls", "/etc/jmem/policy.d").stdout)
    t.check("jmemd runs version 4: audit mode, a 3 s tick", policy_becomes(c, "audit", 3_000_000), running_policy(c))
    result = apt(c, "purge", SITE_PACKAGE)
    c.write("/etc/jmem/policy.toml", edited)
    t.check("purged, nothing of it is left", result.returncode == 0 and not exists(c, "/etc/jmem/policy.d") and
            ctl(c, "reload").returncode == 0 and policy_becomes(c, "audit", 500_000),
            (result.stderr[-800:], c.run("ls", "-R", "/etc/jmem").stdout, running_policy(c)))


def main():
    deb_dir = os.path.abspath(sys.argv[1])
    t = Checks()
    started = time.monotonic()
    first, newer = version(), version() + UPGRADE_SUFFIX
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    first_deb = os.path.join(deb_dir, f"jmem_{first}_{arch}.deb")
    newer_deb = os.path.join(deb_dir, f"jmem_{newer}_{arch}.deb")
    arm64_deb = os.path.join(deb_dir, f"jmem_{first}_arm64.deb")
    if not os.path.exists(arm64_deb):
        print(f"{arm64_deb} is not there: the repository holds {arch} only")
        arm64_deb = None
    for deb in (first_deb, newer_deb):
        if not t.check(f"{os.path.basename(deb)} is in {deb_dir}", os.path.exists(deb)):
            return t.finish()
    for tool in ("reprepro", "gpg", "lintian"):
        if not t.check(f"{tool} is installed", shutil.which(tool)):
            return t.finish()

    work = tempfile.mkdtemp(prefix="jmem-repo-test-")
    try:
        repos = os.path.join(work, "repos")
        repo = os.path.join(repos, "fleet")
        keys = os.path.join(work, "keys")
        test_build_repository(t, repo, keys, [first_deb] + ([arm64_deb] if arm64_deb else []))
        test_own_key(t, work, repo, first_deb)
        make_bad_repositories(t, repos, repo, os.path.join(work, "attacker-keys"), first_deb, newer_deb)
        binds = {repos: REPOS, os.path.join(ROOT, "packaging"): PACKAGING}
        with Container(binds, PACKAGES_WITH_POLKIT, private_network=True) as c:
            print(f"repositories built, container booted: {time.monotonic() - started:.0f} s")
            # No Debian mirror: everything comes from the fleet's repository and what the root holds.
            c.run("rm", "-f", "/etc/apt/sources.list")
            c.run("sh", "-c", "rm -f /etc/apt/sources.list.d/*")
            jetson_units.install(c)
            c.run("systemd-run", "--unit=jmem-repository", "python3", "-m", "http.server", str(PORT), "--bind",
                  "127.0.0.1", "--directory", REPOS)
            wait_for(lambda: c.run("python3", "-c", "import sys, urllib.request; urllib.request.urlopen(sys.argv[1])",
                                   f"http://127.0.0.1:{PORT}/fleet/dists/{CODENAME}/InRelease").returncode == 0,
                     20, "the repository's HTTP server")
            # The key reaches the device with its provisioning, not from the repository it vouches for.
            c.run("install", "-m", "0644", f"{REPOS}/fleet/jmem-archive-keyring.gpg", KEYRING)

            phase = time.monotonic()
            test_bad_repositories(t, c)
            print(f"bad repositories: {time.monotonic() - phase:.0f} s")
            phase = time.monotonic()
            test_install(t, c, first, arm64_deb)
            print(f"install: {time.monotonic() - phase:.0f} s")
            phase = time.monotonic()
            test_upgrade(t, c, repo, keys, first, newer, first_deb, newer_deb, arm64_deb)
            print(f"upgrade: {time.monotonic() - phase:.0f} s")
            phase = time.monotonic()
            # The site package depends on the jmem whose jmemd validated it, by the version jmemd reports.
            jmemd_version = (c.run("/usr/sbin/jmemd", "--version").stdout.split() + ["?", "?"])[1]
            test_site_policy(t, c, repo, keys, os.path.join(work, "site"), jmemd_version)
            print(f"site policy: {time.monotonic() - phase:.0f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"summary: jmem {first} published for {arch}{' and arm64' if arm64_deb else ''}, installed from the signed "
          f"repository, "
          f"upgraded to {newer}, site policy {SITE_PACKAGE} 1 -> 2 installed, upgraded, removed, purged, 3 refused "
          f"on the device and replaced by 4; "
          f"4 bad repositories refused; {time.monotonic() - started:.0f} s")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
