// SPDX-License-Identifier: GPL-2.0
/* VM names from QEMU's command line, libvirt's cgroup, comm (vmident.c). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "output/finding_fmt.h"
#include "output/json_writer.h"
#include "output/metrics.h"
#include "output/summary.h"
#include "output/text.h"
#include "recording/file.h"
#include "recording/recorder.h"
#include "symbols/vmident.h"
#include "unit.h"

/* A command line as /proc/PID/cmdline has it: NUL-separated, NUL-terminated. */
#define CMDLINE(s) s, sizeof(s) - 1

static bool cmdline(const char *buf, size_t len, char *name, char *uuid)
{
	return vmident_parse_cmdline(buf, len, name, uuid);
}

TEST(qemu_name_plain_and_guest_key)
{
	char name[VMID_NAME_LEN], uuid[VMID_UUID_LEN];

	CHECK(cmdline(CMDLINE("qemu-system-aarch64\0-m\0512\0-name\0realvm-l2\0-smp\0002\0"),
		      name, uuid));
	CHECK_STR(name, "realvm-l2");
	CHECK_STR(uuid, "");
	/* libvirt's form: the guest key, then more keys. */
	CHECK(cmdline(CMDLINE("/usr/bin/qemu-system-aarch64\0-name\0"
			      "guest=web01,debug-threads=on\0-uuid\0"
			      "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\0"), name, uuid));
	CHECK_STR(name, "web01");
	CHECK_STR(uuid, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	/* The implied first key with more keys, and guest= not first. */
	CHECK(cmdline(CMDLINE("qemu\0-name\0db,debug-threads=on\0"), name, uuid));
	CHECK_STR(name, "db");
	CHECK(cmdline(CMDLINE("qemu\0-name\0process=qemu-x,guest=cache\0"), name, uuid));
	CHECK_STR(name, "cache");
	/* --name is -name to QEMU; the last -name wins, as QEMU merges them. */
	CHECK(cmdline(CMDLINE("qemu\0--name\0first\0-name\0second\0"), name, uuid));
	CHECK_STR(name, "second");
}

TEST(qemu_name_commas_escaped_and_no_name)
{
	char name[VMID_NAME_LEN], uuid[VMID_UUID_LEN];

	/* ",," is a comma in a QEMU option value. */
	CHECK(cmdline(CMDLINE("qemu\0-name\0guest=a,,b,,c,debug-threads=on\0"), name, uuid));
	CHECK_STR(name, "a,b,c");
	CHECK(cmdline(CMDLINE("qemu\0-name\0x,,y\0"), name, uuid));
	CHECK_STR(name, "x,y");
	/* No -name: nothing, and a -uuid that is no UUID is not one. */
	CHECK(!cmdline(CMDLINE("qemu\0-m\0512\0-uuid\0not-a-uuid\0"), name, uuid));
	CHECK_STR(name, "");
	CHECK_STR(uuid, "");
	/* -name as the last word, with no argument; a -name of only other keys. */
	CHECK(!cmdline(CMDLINE("qemu\0-name\0"), name, uuid));
	CHECK(!cmdline(CMDLINE("qemu\0-name\0process=p,debug-threads=on\0"), name, uuid));
	/* argv[0] is never an option; "-name=x" is not QEMU syntax. */
	CHECK(!cmdline(CMDLINE("-name\0x\0"), name, uuid));
	CHECK(!cmdline(CMDLINE("qemu\0-name=x\0"), name, uuid));
	/* An option's argument is not an option. */
	CHECK(cmdline(CMDLINE("qemu\0-name\0-uuid\0""0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\0"),
		      name, uuid));
	CHECK_STR(name, "-uuid");
	CHECK_STR(uuid, "");
}

TEST(qemu_name_hostile)
{
	char name[VMID_NAME_LEN], uuid[VMID_UUID_LEN], *big;
	size_t n = 1 << 20;

	/* Unterminated: the last argument ends with the buffer. */
	CHECK(cmdline("qemu\0-name\0tail", 15, name, uuid));
	CHECK_STR(name, "tail");
	/* Control characters and bytes that are not UTF-8 become '?'. */
	CHECK(cmdline(CMDLINE("qemu\0-name\0a\033[2Jb\x7f\xff\xc2\x9b\0"), name, uuid));
	CHECK_STR(name, "a?[2Jb????");
	/* A huge name is cut, at a character: é is two bytes. */
	big = malloc(n);
	memcpy(big, "qemu\0-name\0", 11);
	memset(big + 11, 'x', n - 11);
	memcpy(big + 11 + 62, "\xc3\xa9", 2);
	CHECK(cmdline(big, n, name, uuid));
	CHECK_EQ(strlen(name), 62);
	CHECK(name[61] == 'x');
	free(big);
}

TEST(libvirt_domain_from_cgroup)
{
	static const char v2[] = "0::/machine.slice/machine-qemu\\x2d3\\x2dweb\\x2d01.scope/"
				 "libvirt/emulator\n";
	static const char v1[] = "12:pids:/\n"
				 "4:cpu,cpuacct:/machine.slice/machine-qemu\\x2d12\\x2ddb.scope\n";
	static const char old[] = "0::/machine.slice/machine-qemu\\x2dlegacy.scope\n";
	static const char nosd[] = "3:cpuset:/machine/qemu-7-mail.libvirt-qemu/emulator\n";
	static const char nosd_old[] = "3:cpuset:/machine/files.libvirt-qemu/vcpu0\n";
	static const char esc[] = "3:cpuset:/machine/_.hidden.libvirt-qemu\n";
	static const char none[] = "0::/user.slice/user-1000.slice/session-2.scope\n"
				   "0::/machine.slice/machine-lxc\\x2d5\\x2dct.scope\n";
	char name[VMID_NAME_LEN];

	CHECK(vmident_parse_cgroup(v2, sizeof(v2) - 1, name));
	CHECK_STR(name, "web-01");
	CHECK(vmident_parse_cgroup(v1, sizeof(v1) - 1, name));
	CHECK_STR(name, "db");
	CHECK(vmident_parse_cgroup(old, sizeof(old) - 1, name));
	CHECK_STR(name, "legacy");
	CHECK(vmident_parse_cgroup(nosd, sizeof(nosd) - 1, name));
	CHECK_STR(name, "mail");
	CHECK(vmident_parse_cgroup(nosd_old, sizeof(nosd_old) - 1, name));
	CHECK_STR(name, "files");
	CHECK(vmident_parse_cgroup(esc, sizeof(esc) - 1, name));
	CHECK_STR(name, ".hidden");
	CHECK(!vmident_parse_cgroup(none, sizeof(none) - 1, name));
	CHECK_STR(name, "");
	/* Unterminated, and an escape that makes a control character. */
	CHECK(vmident_parse_cgroup("0::/machine-qemu\\x2d1\\x2dx\\x1by.scope", 37, name));
	CHECK_STR(name, "x?y");
	/* A cut escape is kept as it is. */
	CHECK(vmident_parse_cgroup("0::/machine-qemu\\x2d1\\x2dz\\x1.scope", 35, name));
	CHECK_STR(name, "z\\x1");
}

/* A /proc of our own: PID/cmdline, PID/cgroup, PID/comm, PID/task/TID/comm. */
static void put(const char *root, const char *rel, const char *data, size_t len)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	fwrite(data, 1, len, f);
	fclose(f);
}

TEST(cache_resolves_once_by_preference)
{
	char root[] = "/tmp/kvmsr-proc-XXXXXX", cmd[600];
	const struct vm_ident *id;
	struct vmident v;

	CHECK(mkdtemp(root));
	put(root, "100/cmdline", CMDLINE("qemu\0-name\0guest=alpha,debug-threads=on\0"));
	put(root, "100/comm", "qemu-system-aar\n", 16);
	put(root, "100/task/101/comm", "CPU 0/KVM\n", 10);
	put(root, "200/cmdline", CMDLINE("qemu\0-m\0512\0"));
	put(root, "200/cgroup", "0::/machine.slice/machine-qemu\\x2d2\\x2dbeta.scope\n", 50);
	put(root, "200/comm", "qemu\n", 5);
	put(root, "300/cmdline", CMDLINE("./vmm\0--iters\0005\0"));
	put(root, "300/cgroup", "0::/user.slice\n", 15);
	put(root, "300/comm", "vmm\n", 4);
	vmident_init(&v, root);
	id = vmident_get(&v, 100);
	CHECK(id && id->source == VMID_QEMU_NAME);
	CHECK_STR(id ? id->name : "", "alpha");
	id = vmident_get(&v, 200);
	CHECK(id && id->source == VMID_LIBVIRT);
	CHECK_STR(id ? id->name : "", "beta");
	id = vmident_get(&v, 300);
	CHECK(id && id->source == VMID_COMM);
	CHECK_STR(id ? id->name : "", "vmm");
	CHECK_STR(vmident_source_name(VMID_COMM), "comm");
	CHECK(!vmident_get(&v, 400));
	CHECK_STR(vmident_thread(&v, 100, 101) ?: "", "CPU 0/KVM");
	CHECK(!vmident_thread(&v, 100, 102));
	/* Once: a changed /proc is not read again... */
	put(root, "100/cmdline", CMDLINE("qemu\0-name\0gamma\0"));
	CHECK_STR(vmident_get(&v, 100)->name, "alpha");
	CHECK_STR(vmident_seen(&v, 100)->name, "alpha");
	/* ...until the VM exited: its name stays for reports, a new sighting re-reads. */
	vmident_exited(&v, 100);
	CHECK_STR(vmident_get(&v, 100)->name, "alpha");
	CHECK_STR(vmident_seen(&v, 100)->name, "gamma");
	/* A VM whose process is gone keeps the name it had. */
	vmident_exited(&v, 200);
	snprintf(cmd, sizeof(cmd), "rm -rf %s/200", root);
	CHECK(system(cmd) == 0);
	CHECK_STR(vmident_seen(&v, 200)->name, "beta");
	vmident_free(&v);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	CHECK(system(cmd) == 0);
}

static bool odd_alive(uint32_t pid)
{
	return pid & 1;
}

TEST(cache_is_bounded_and_pruned)
{
	struct vmident v;
	struct vm_ident id = { .source = VMID_QEMU_NAME };

	/* A recording's table: beyond the cap, dropped and counted. */
	vmident_init(&v, NULL);
	for (uint32_t pid = 1; pid <= VMID_MAX_VMS + 10; pid++) {
		id.pid = pid;
		snprintf(id.name, sizeof(id.name), "vm%u", pid);
		vmident_set(&v, &id);
	}
	CHECK_EQ(v.nr_vm, VMID_MAX_VMS);
	CHECK_EQ(v.dropped, 10);
	CHECK_STR(vmident_get(&v, 7)->name, "vm7");
	/* Offline: nothing is resolved from this host. */
	CHECK(!vmident_get(&v, VMID_MAX_VMS + 5));
	vmident_prune(&v, odd_alive);
	CHECK_EQ(v.nr_vm, VMID_MAX_VMS / 2);
	CHECK(!vmident_get(&v, 8));
	CHECK_STR(vmident_get(&v, 9)->name, "vm9");
	vmident_free(&v);
}

TEST(recorded_names_are_cleaned)
{
	struct vmident v;
	struct vm_ident id = { .pid = 5, .source = 200 };
	char tb[128];
	char js[256];
	FILE *f;
	struct jw w;

	/* A crafted file: no NUL, a control sequence, a bad source and UUID. */
	memset(id.name, 'A', sizeof(id.name));
	memcpy(id.name, "evil\033]0;x\a\"\\", 12);
	memset(id.uuid, '1', sizeof(id.uuid));
	vmident_init(&v, NULL);
	CHECK(vmident_set(&v, &id) == 0);
	CHECK_EQ(vmident_get(&v, 5)->source, VMID_NONE);
	CHECK_STR(vmident_get(&v, 5)->uuid, "");
	CHECK_EQ(strlen(vmident_get(&v, 5)->name), VMID_NAME_LEN - 1);
	CHECK(!strncmp(vmident_get(&v, 5)->name, "evil?]0;x?\"\\A", 13));
	/* The terminal and JSON outputs take it as it is now. */
	CHECK(!strncmp(text_clean(vmident_get(&v, 5)->name, tb, sizeof(tb)), "evil?]0;x?", 10));
	f = fmemopen(js, sizeof(js), "w");
	jw_init(&w, f);
	jw_str(&w, vmident_get(&v, 5)->name);
	jw_flush(&w);
	fclose(f);
	CHECK(!strncmp(js, "\"evil?]0;x?\\\"\\\\A", 16));
	vmident_set_thread(&v, 5, 6, "CPU 1/KVM\033");
	CHECK_STR(vmident_thread(&v, 5, 6) ?: "", "CPU 1/KVM?");
	vmident_free(&v);
}

/* An analyzer with vCPUs met in this order: VM 300's vCPU 1 first. */
static void three_vcpus(struct analyzer *a)
{
	analyzer_init(a);
	analyzer_vcpu(a, 300, 1)->loads = 5;
	analyzer_vcpu(a, 200, 0)->loads = 6;
	analyzer_vcpu(a, 300, 0)->loads = 7;
	a->vcpus[0].tid = 301;
}

static void names(struct vmident *v)
{
	struct vm_ident zed = { .pid = 200, .source = VMID_QEMU_NAME, .name = "zed" };
	struct vm_ident web = { .pid = 300, .source = VMID_LIBVIRT, .name = "web \"1\"\\",
				.uuid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" };

	vmident_init(v, NULL);
	vmident_set(v, &zed);
	vmident_set(v, &web);
	vmident_set_thread(v, 300, 301, "CPU 1/KVM");
}

TEST(stat_rows_by_vm_then_vcpu_with_names)
{
	struct analyzer a;
	struct vmident v;
	struct run_info ri = { .backend = "fentry", .kvm_mode = "VHE", .defers = true,
			       .recording_cut = -1, .vms = &v };
	char *buf = NULL, *l1, *l2, *l3;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct regnames rn = { 0 };

	three_vcpus(&a);
	names(&v);
	summary_text(f, &a, &rn, &ri);
	fclose(f);
	/* By VM name ("web..." < "zed"), then vCPU id. */
	l1 = strstr(buf, "\n300      web \"1\"\\");
	l2 = l1 ? strstr(l1 + 1, "\n300 ") : NULL;
	l3 = l2 ? strstr(l2 + 1, "\n200      zed") : NULL;
	CHECK(l1 && l2 && l3);
	CHECK(l1 && !strncmp(l1 + 1 + 8 + 1 + 16 + 1, "   0", 4));
	CHECK(l2 && !strncmp(l2 + 1 + 8 + 1 + 16 + 1, "   1", 4));
	/* Streaming: the confirmed counts. */
	CHECK(strstr(buf, "findings: 0 confirmed"));
	free(buf);
	/* Counting: what is not checked, what is counted, and no "0 confirmed". */
	a.findings[FIND_DOUBLE_LOAD] = 2;
	ri.sampling = "sampled";
	f = open_memstream(&buf, &len);
	summary_text(f, &a, &rn, &ri);
	fclose(f);
	CHECK(strstr(buf, "findings: counting mode does not check accesses"));
	CHECK(strstr(buf, "counted: 2 imbalances (2 loads without a put"));
	CHECK(!strstr(buf, "confirmed"));
	free(buf);
	/* JSON: the same order, the names, the UUID, the thread. */
	f = open_memstream(&buf, &len);
	{
		struct jw w;

		jw_init(&w, f);
		summary_json(&w, &a, &rn, &ri, NULL, NULL);
		jw_flush(&w);
	}
	fclose(f);
	l1 = strstr(buf, "{\"pid\":300,\"vcpu\":0,\"vm\":\"web \\\"1\\\"\\\\\",\"vm_source\":"
		     "\"libvirt\",\"vm_uuid\":\"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\",\"loads\"");
	l2 = strstr(buf, "{\"pid\":300,\"vcpu\":1,\"vm\":\"web \\\"1\\\"\\\\\",\"vm_source\":"
		     "\"libvirt\",\"vm_uuid\":\"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\",\"tid\":301,"
		     "\"thread\":\"CPU 1/KVM\"");
	l3 = strstr(buf, "{\"pid\":200,\"vcpu\":0,\"vm\":\"zed\",\"vm_source\":\"qemu-name\",\"loads\"");
	CHECK(l1 && l2 && l3 && l1 < l2 && l2 < l3);
	free(buf);
	vmident_free(&v);
	analyzer_free(&a);
}

TEST(metrics_label_vcpus_with_vm_names)
{
	struct analyzer a;
	struct vmident v;
	struct run_info ri = { .backend = "fentry", .kvm_mode = "VHE", .vms = &v };
	struct metrics_info mi = { .kernel = "7.3", .version = "0.1" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	three_vcpus(&a);
	names(&v);
	metrics_render(f, &a, &ri, &mi);
	fclose(f);
	/* The one label escaper: \ and " escaped; vm_pid and vcpu first, as before. */
	CHECK(strstr(buf, "kvmsr_vcpu_loads_total{vm_pid=\"300\",vcpu=\"1\",vm=\"web \\\"1\\\"\\\\\","
		      "vm_uuid=\"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\"} 5\n"));
	CHECK(strstr(buf, "kvmsr_vcpu_loads_total{vm_pid=\"200\",vcpu=\"0\",vm=\"zed\"} 6\n"));
	CHECK(strstr(buf, "kvmsr_vcpu_loaded_interval_seconds_bucket{vm_pid=\"200\",vcpu=\"0\","
		      "vm=\"zed\",le=\"+Inf\"} 0\n"));
	CHECK(strstr(buf, "kvmsr_vcpu_accessor_calls_total{vm_pid=\"200\",vcpu=\"0\",vm=\"zed\","
		      "op=\"read\",sysregs=\"cpu\"} 0\n"));
	free(buf);
	/* Without names: the labels of before. */
	ri.vms = NULL;
	f = open_memstream(&buf, &len);
	metrics_render(f, &a, &ri, &mi);
	fclose(f);
	CHECK(strstr(buf, "kvmsr_vcpu_loads_total{vm_pid=\"200\",vcpu=\"0\"} 6\n"));
	free(buf);
	vmident_free(&v);
	analyzer_free(&a);
}

/* A recording with VM and thread names, an unknown optional record, events. */
static void record_names(const char *path, int version, bool bad_vm)
{
	static char *rnames[1] = { "SCTLR_EL1" };
	struct regnames rn = { .name = rnames, .count = 1 };
	struct rec_info info = { .release = "7.3", .machine = "aarch64", .kvm_mode = "VHE",
				 .backend = "fentry" };
	struct rec_end end = { .end_ns = 9, .kvm_mode = "VHE" };
	struct vm_ident id = { .pid = 42, .source = VMID_QEMU_NAME, .name = "realvm-l2",
			       .uuid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" };
	struct kvmsr_event ev = { .ts_ns = 5, .type = KVMSR_EV_LOAD, .pid = 42, .tid = 43 };
	char future[300] = "a record of a later kvmsr";
	struct rec_writer w;
	uint32_t v = version;
	int fd;

	CHECK(rec_create(&w, path, &info, &rn) == 0);
	rec_put(&w, REC_OPTIONAL | 0x7ff, future, sizeof(future));
	if (version > 1) {
		rec_put_vm(&w, &id);
		rec_put_thread(&w, 42, 43, "CPU 0/KVM");
	}
	if (bad_vm)
		rec_put(&w, REC_VM, &id, 8);
	rec_put(&w, REC_EVENT, &ev, sizeof(ev));
	CHECK(rec_close(&w, &end) == 0);
	fd = open(path, O_WRONLY);
	CHECK(pwrite(fd, &v, 4, 8) == 4);
	close(fd);
}

TEST(recordings_carry_vm_and_thread_names)
{
	char path[] = "/tmp/kvmsr-recvm-XXXXXX", err[256] = "";
	struct kvmsr_event e;
	struct rec_reader r;
	const struct vm_ident *id;

	close(mkstemp(path));
	record_names(path, REC_VERSION, false);
	CHECK(rec_open(&r, path, err, sizeof(err)) == 0);
	CHECK_EQ(rec_next_event(&r, &e, err, sizeof(err)), 1);
	id = vmident_get(&r.vms, 42);
	CHECK(id && id->source == VMID_QEMU_NAME);
	CHECK_STR(id ? id->name : "", "realvm-l2");
	CHECK_STR(id ? id->uuid : "", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	CHECK_STR(vmident_thread(&r.vms, 42, 43) ?: "", "CPU 0/KVM");
	/* Never this host's: pid 1 is running here, and not in the file. */
	CHECK(!vmident_get(&r.vms, 1));
	CHECK_EQ(rec_next_event(&r, &e, err, sizeof(err)), 0);
	CHECK(r.ended);
	CHECK_EQ(r.skipped, 1);		/* the unknown optional record */
	rec_close_reader(&r);

	/* Format 1 (before names) still reads, without them. */
	record_names(path, 1, false);
	CHECK(rec_open(&r, path, err, sizeof(err)) == 0);
	CHECK_EQ(rec_next_event(&r, &e, err, sizeof(err)), 1);
	CHECK(!vmident_get(&r.vms, 42));
	rec_close_reader(&r);

	/* A REC_VM of the wrong size is damage, said with its offset. */
	record_names(path, REC_VERSION, true);
	CHECK(rec_open(&r, path, err, sizeof(err)) == 0);
	CHECK(rec_next_event(&r, &e, err, sizeof(err)) < 0);
	CHECK(strstr(err, "damaged record at offset") && strstr(err, "tag 0x8001"));
	rec_close_reader(&r);
	unlink(path);
}

TEST(vm_option_finds_the_vmm_by_name_or_uuid)
{
	char root[] = "/tmp/kvmsr-proc-XXXXXX", path[600];
	uint32_t pids[4];

	CHECK(mkdtemp(root));
	/* Two VMMs holding a VM, one process of the same name holding none. */
	put(root, "100/cmdline", CMDLINE("qemu\0-name\0guest=web,debug-threads=on\0-uuid\0"
					 "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\0"));
	put(root, "200/cmdline", CMDLINE("qemu\0-name\0db\0"));
	put(root, "300/cmdline", CMDLINE("qemu\0-name\0web\0"));
	put(root, "400/cmdline", CMDLINE("qemu\0-name\0db\0"));
	for (int pid = 100; pid <= 400; pid += 100) {
		snprintf(path, sizeof(path), "%s/%d/fd", root, pid);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/%d/fd/3", root, pid);
		CHECK(symlink("/dev/kvm", path) == 0);
		snprintf(path, sizeof(path), "%s/%d/fd/7", root, pid);
		CHECK(symlink(pid == 300 ? "anon_inode:kvm-vcpu:0" : "anon_inode:kvm-vm",
			      path) == 0);
	}
	CHECK_EQ(vmident_find(root, "web", pids, 4), 1);
	CHECK_EQ(pids[0], 100);
	CHECK_EQ(vmident_find(root, "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0", pids, 4), 1);
	CHECK_EQ(vmident_find(root, "db", pids, 1), 2);
	CHECK_EQ(vmident_find(root, "nosuch", pids, 4), 0);
	CHECK(vmident_find("/nonexistent-proc", "web", pids, 4) < 0);
	snprintf(path, sizeof(path), "rm -rf %s", root);
	CHECK(system(path) == 0);
}

TEST(this_process_is_named_by_the_real_proc)
{
	struct vmident v;
	const struct vm_ident *id;

	vmident_init(&v, "/proc");
	id = vmident_get(&v, getpid());
	CHECK(id && id->source == VMID_COMM);
	CHECK_STR(id ? id->name : "", "unit-tests");
	CHECK_STR(vmident_thread(&v, getpid(), getpid()) ?: "", "unit-tests");
	vmident_free(&v);
}

TEST(findings_name_their_vm)
{
	struct finding f = { .kind = FIND_DOUBLE_LOAD, .pid = 300, .vcpu_id = 1, .reg = -1,
			     .stack_id = -1 };
	struct regnames rn = { 0 };
	struct symbolizer sy;
	struct vmident v;
	char *buf = NULL;
	size_t len = 0;
	FILE *f_out = open_memstream(&buf, &len);
	struct jw w;

	names(&v);
	sym_init(&sy);
	sym_use_vms(&sy, &v);
	finding_text(f_out, &f, &rn, &sy);
	jw_init(&w, f_out);
	finding_json(&w, &f, &rn, &sy);
	jw_flush(&w);
	fclose(f_out);
	CHECK(strstr(buf, "FINDING imbalance double-load vm 300 (web \"1\"\\) vcpu 1:"));
	CHECK(strstr(buf, "\"pid\":300,\"vm\":\"web \\\"1\\\"\\\\\",\"vcpu\":1"));
	free(buf);
	sym_free(&sy);
	vmident_free(&v);
}

/* The recorder names each VM before its first event and each thread before its first load. */
TEST(recorder_writes_vm_and_thread_names_once)
{
	char root[] = "/tmp/kvmsr-proc-XXXXXX", path[] = "/tmp/kvmsr-recn-XXXXXX", err[256];
	char cmd[64];
	static char *rnames[1] = { "SCTLR_EL1" };
	struct regnames rn = { .name = rnames, .count = 1 };
	struct recorder_origin o = { "7.3", "aarch64", "VHE", "fentry", "" };
	struct rec_end end = { .end_ns = 9, .kvm_mode = "VHE" };
	struct kvmsr_event ev = { .type = KVMSR_EV_LOAD, .pid = 100, .tid = 101, .stack_id = -1 };
	struct symbolizer sy;
	struct recorder rec;
	struct rec_reader r;
	struct kvmsr_event e;
	int events = 0;

	CHECK(mkdtemp(root));
	put(root, "100/cmdline", CMDLINE("qemu\0-name\0guest=alpha,debug-threads=on\0"));
	put(root, "100/task/101/comm", "CPU 0/KVM\n", 10);
	sym_init(&sy);
	vmident_init(&sy.own_vm, root);
	close(mkstemp(path));
	CHECK(recorder_begin(&rec, path) == 0);
	CHECK(recorder_open(&rec, &o, &rn, 1) == 0);
	for (int i = 0; i < 3; i++)
		recorder_event(&rec, &sy, &ev);
	/* The VM exits, its pid is a new VM's: named again. */
	vmident_exited(sy.vm, 100);
	put(root, "100/cmdline", CMDLINE("qemu\0-name\0beta\0"));
	vmident_seen(sy.vm, 100);
	recorder_event(&rec, &sy, &ev);
	CHECK(recorder_close(&rec, &end) == 0);
	CHECK(rec_open(&r, path, err, sizeof(err)) == 0);
	while (rec_next_event(&r, &e, err, sizeof(err)) > 0)
		events++;
	CHECK_EQ(events, 4);
	/* One VM record each time it was named, one thread record: 4 events + 3 + END. */
	CHECK_EQ(r.records, 8);
	CHECK_STR(vmident_get(&r.vms, 100)->name, "beta");
	CHECK_STR(vmident_thread(&r.vms, 100, 101) ?: "", "CPU 0/KVM");
	rec_close_reader(&r);
	unlink(path);
	sym_free(&sy);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	CHECK(system(cmd) == 0);
}
