#!/usr/bin/env python3
"""trim-recording.py IN.kvmsr OUT.kvmsr [--before MS] [--after MS] [--at-ns NS]

Cuts a kvmsr recording down to the events around an occurrence: the first
WARN/BUG event anchors the window, or --at-ns (e.g. the ts_ns of a
double-load finding in `kvmsr report --json`).  Keeps the header, every
STACK, LOST and END record, and the EVENT records whose time lies in
[anchor - before, anchor + after].  Used to make the replay fixture of
tests/unit/test_replay.c from a real occurrence (tests/flight/repro.sh)
small enough for git; the format is src/recording.h's.
"""
import argparse
import struct
import sys

REC_EVENT, REC_LOST, REC_STACK, REC_END = 1, 2, 3, 4
EV_WARN, EV_BUG = 9, 10
HDR = struct.Struct("<8sIIIIQ")   # magic, version, abi, event_size, text_len, start_ns
EVENT_TS = struct.Struct("<Q")    # ts_ns is the first field of struct kvmsr_event


def records(data, off):
    while off + 8 <= len(data):
        tag, length = struct.unpack_from("<II", data, off)
        if off + 8 + length > len(data):
            break                      # a torn last record: dropped
        yield tag, data[off:off + 8 + length]
        off += 8 + length


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--before", type=float, default=100.0, help="ms before the anchor")
    ap.add_argument("--after", type=float, default=20.0, help="ms after the anchor")
    ap.add_argument("--at-ns", type=int, help="anchor time instead of the first WARN/BUG")
    a = ap.parse_args()
    data = open(a.inp, "rb").read()
    magic, _, _, esize, text_len, _ = HDR.unpack_from(data, 0)
    if magic != b"KVMSRREC":
        sys.exit(f"{a.inp}: not a kvmsr recording")
    body = HDR.size + text_len
    anchor = a.at_ns
    for tag, rec in records(data, body) if anchor is None else ():
        if tag == REC_EVENT and rec[8 + esize - 4] in (EV_WARN, EV_BUG):
            anchor = EVENT_TS.unpack_from(rec, 8)[0]
            break
    if anchor is None:
        sys.exit(f"{a.inp}: no WARN or BUG event to anchor the window")
    lo, hi = anchor - int(a.before * 1e6), anchor + int(a.after * 1e6)
    out = [data[:body]]
    kept = 0
    for tag, rec in records(data, body):
        if tag == REC_EVENT:
            ts = EVENT_TS.unpack_from(rec, 8)[0]
            if not lo <= ts <= hi:
                continue
            kept += 1
        out.append(rec)
    open(a.out, "wb").write(b"".join(out))
    print(f"{a.out}: {kept} events around the anchor at {anchor} ns")


if __name__ == "__main__":
    main()
