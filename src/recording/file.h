/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The recording file of `kvmsr record` / `kvmsr report`: pure C, no libbpf,
 * so that a file is read the same on any machine.
 *
 * Layout: a fixed header, then records of { u32 tag, u32 len, payload[len] }
 * appended as the session runs.  The header's text block carries what the
 * recording host knew (kernel release, arch, KVM mode, backend) and its
 * register name table from BTF, so names never depend on the reading host.
 * A file is only ever appended to, a record at a time, so after a SIGKILL
 * everything up to the last complete record reads; the END record says the
 * recording was closed normally.  It is written as .NAME.XXXXXX beside NAME
 * and renamed to NAME when closed (outfile.h): a killed recording is the
 * temporary file.  All integers little-endian (arm64, x86).
 */
#ifndef KVMSR_RECORDING_H
#define KVMSR_RECORDING_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "kvmsr_event.h"
#include "symbols/keymap.h"
#include "symbols/regnames.h"
#include "symbols/symbolize.h"
#include "symbols/vmident.h"
#include "recording/outfile.h"

#define REC_MAGIC "KVMSRREC"
/* 2: optional records (REC_OPTIONAL), the VM and thread names; 1 still reads. */
#define REC_VERSION 2
#define REC_VERSION_OLDEST 1
#define REC_STACK_DEPTH SYM_STACK_DEPTH
#define REC_MAX_PAYLOAD (1u << 20)	/* a larger length means a damaged file */
/*
 * What a reader keeps of a file is bounded, whatever the file says: the
 * header's text is at most REC_MAX_PAYLOAD (else "damaged header"); stacks
 * beyond REC_MAX_STACKS distinct ids or REC_MAX_STACK_BYTES of frames are
 * dropped and counted (rec_reader.stacks_dropped), never kept.  A live
 * recording holds a few hundred (the BPF side keeps KVMSR_MAX_STACKS).
 */
#define REC_MAX_STACKS 65536
#define REC_MAX_STACK_BYTES (256u << 20)

enum rec_tag {
	REC_EVENT = 1,	/* struct kvmsr_event */
	REC_LOST,	/* u64: records the ring buffer dropped so far (cumulative) */
	REC_STACK,	/* u32 id, u32 n, then n x { u64 ip, u16 len, char name[len] } */
	REC_END,	/* struct rec_end: closed normally */
	/*
	 * u32 encoding (KVMSR_F_TRAP_ENC), then the name its descriptor gives
	 * (len - 4 bytes, < KVMSR_TRAP_NAME_LEN, no NUL; empty: none): written
	 * before the first event with that encoding.  Since ABI 5.
	 */
	REC_TRAPNAME,
};

/*
 * Optional records: a tag with REC_OPTIONAL set is one a reader may skip
 * when it does not know it (from format 2 on; kvmsr before format 2
 * refuses the file by its version).  An unknown tag without it is damage.
 */
#define REC_OPTIONAL 0x8000u
enum rec_optional_tag {
	REC_VM = REC_OPTIONAL | 1,	/* struct rec_vm: before the first event of its pid */
	REC_THREAD = REC_OPTIONAL | 2,	/* struct rec_thread: before its first load */
};

/* A VM's identity (symbols/vmident.h), written when the recording first sees its pid. */
struct rec_vm {
	uint32_t pid;
	uint32_t source;		/* enum vm_source */
	char name[VMID_NAME_LEN];	/* NUL-terminated, cleaned (a reader cleans again) */
	char uuid[VMID_UUID_LEN];
};

/* A vCPU thread's name ("CPU 0/KVM"). */
struct rec_thread {
	uint32_t pid, tid;
	char name[VMID_THREAD_LEN];
};

/* What the recording host knew; strings are NUL-terminated, may be empty. */
struct rec_info {
	char release[80];
	char machine[65];
	char kvm_mode[24];
	char backend[24];
	char notes[1024];		/* what attaching warned about */
	uint32_t abi_version;
	uint64_t start_ns;		/* CLOCK_MONOTONIC of the recording host */
};

/* The run's summary facts, as the live report had them. */
struct rec_end {
	uint64_t end_ns;
	uint64_t duration_ns;
	uint64_t lost;			/* ring-buffer records dropped */
	uint64_t probe_misses;
	uint32_t on_cpu_mask;
	uint8_t mask_learned, mask_disagrees, defers, traps;
	char kvm_mode[24];
};

/* A REC_STACK under this id only names an address (WARN caller, BUG PC). */
#define REC_NAMES_ID (-2)


/* ---- writing ---- */

struct rec_writer {
	struct outfile out;		/* .NAME.XXXXXX until rec_close() */
	uint64_t bytes;
	int err;			/* first write error (-errno), sticky */
	char *buf;			/* whole records not written yet */
	size_t used;
	char why[1024];			/* what failed, for the message */
};

/*
 * Start a recording of @path: its temporary file beside it (outfile.h),
 * @path itself untouched until rec_close() renames the complete file over
 * it.  -errno with the reason in w->why.
 */
int rec_begin(struct rec_writer *w, const char *path);
/* The header, into a begun recording; -errno on failure. */
int rec_start(struct rec_writer *w, const struct rec_info *info, const struct regnames *rn);
/* rec_begin() and rec_start(). */
int rec_create(struct rec_writer *w, const char *path, const struct rec_info *info,
	       const struct regnames *rn);
void rec_put(struct rec_writer *w, uint32_t tag, const void *payload, uint32_t len);
void rec_put_stack(struct rec_writer *w, const struct sym_stack *st);
/* A REC_TRAPNAME: @name ("" if none) of trapped register encoding @enc. */
void rec_put_trap_name(struct rec_writer *w, uint16_t enc, const char *name);
/* A VM's identity, a thread's name (optional records). */
void rec_put_vm(struct rec_writer *w, const struct vm_ident *id);
void rec_put_thread(struct rec_writer *w, uint32_t pid, uint32_t tid, const char *name);
/* Write the buffered records out (whole records only: a kill cuts between). */
void rec_flush(struct rec_writer *w);
/*
 * The END record, then the file becomes @path: 0, or -errno with the reason
 * in w->why; a recording that could not be written whole stays in its
 * temporary file (named in w->why) and @path is untouched.
 */
int rec_close(struct rec_writer *w, const struct rec_end *end);
/* Give up a begun recording: its temporary file is removed. */
void rec_discard(struct rec_writer *w);

/* ---- reading ---- */

struct rec_reader {
	FILE *f;
	struct rec_info info;
	struct regnames rn;		/* from the file: the header's, REC_TRAPNAME's */
	uint64_t offset;		/* of the next record */
	uint64_t records;
	bool ended;			/* END seen */
	bool cut;			/* the file stops inside a record or without END */
	struct rec_end end;
	uint64_t lost;			/* last REC_LOST */
	/*
	 * REC_STACK records seen so far, as they came (id, n, then per frame
	 * the ip and a NUL-terminated name), in one arena: memory linear in
	 * the file.  By id the latest stack, by ip the name its latest stack
	 * gave it (offsets into the arena).
	 */
	unsigned char *arena;
	uint32_t arena_len, arena_cap;
	struct keymap stack_by_id, name_by_ip;
	uint64_t stacks_dropped;	/* beyond REC_MAX_STACKS / _BYTES */
	struct sym_stack found;		/* rec_find_stack()'s answer */
	struct vmident vms;		/* REC_VM/REC_THREAD names, bounded (vmident.h) */
	uint64_t skipped;		/* optional records of kinds this kvmsr does not know */
};

/*
 * Open and check the header; on failure -errno and a message in err.  Only
 * a regular file: a FIFO or a device is refused at once, never waited on.
 */
int rec_open(struct rec_reader *r, const char *path, char *err, size_t len);
/*
 * Next event into @e: 1, 0 at the end (r->cut/ended say how it ended), or
 * -EBADMSG with a message for a damaged file.  Other records are absorbed.
 */
int rec_next_event(struct rec_reader *r, struct kvmsr_event *e, char *err, size_t len);
/* The latest stack under @id, NULL if none; valid until the next call. */
const struct sym_stack *rec_find_stack(struct rec_reader *r, int32_t id);
/* The name the recording host gave code address @ip, NULL if none (valid
 * until the next record is read). */
const char *rec_name_of(const struct rec_reader *r, uint64_t ip);
void rec_close_reader(struct rec_reader *r);

#endif /* KVMSR_RECORDING_H */
