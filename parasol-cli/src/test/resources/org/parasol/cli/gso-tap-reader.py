# Reads the TCP frames netgso's sender (role=send peers=0) sends through dom0's bridge to the
# host's TAP, with a raw AF_PACKET socket on the TAP that asks for each frame's virtio_net_hdr
# (PACKET_VNET_HDR), and checks each as a TCP receiver would: IPv4 header checksum, TCP checksum
# (a partial one, VIRTIO_NET_HDR_F_NEEDS_CSUM, completed first as the kernel would), total
# length, IP id, sequence number, flags, every payload byte. A frame is either one of dom0's
# segments (at most one MSS of payload) or a GSO frame the host kernel took whole
# (VIRTIO_NET_HDR_GSO_TCPV4: its gso_size must be the MSS, its hdr_len the headers, and it
# carries the frame's whole payload). Run in the test's network namespace:
#   python3 gso-tap-reader.py TAP MSS COUNT SIZES SECONDS
# Prints "ready" once the socket is bound, then "whole=N segments=S packets=P gso=G bad=B" at the
# end (after COUNT frames are whole, or SECONDS): S counts the MSS-sized segments the frames
# read make (a GSO frame as many as the kernel would cut), P the frames read, G the GSO frames;
# and each problem found on a line of its own.
import socket, struct, sys, time

tap, mss, count, sizes, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), [int(x) for x in sys.argv[4].split(',')], float(sys.argv[5])
HEADERS = 14 + 20 + 32
FLAGS = 0x80 | 0x10 | 0x08 | 0x01
SOL_PACKET, PACKET_VNET_HDR = 263, 15

def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s

def csum(b):
    if len(b) % 2:
        b += b'\0'
    return (~fold(sum(struct.unpack('!%dH' % (len(b) // 2), b)))) & 0xFFFF

def pattern(k, o):
    return (k * 31 + o * 7 + (o >> 8)) & 0xFF

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
s.bind((tap, 0))
s.settimeout(0.2)
print('ready', flush=True)
end = time.time() + seconds
got = {}  # frame -> set of offsets covered
whole = segs = packets = gsos = bad = 0
while time.time() < end and whole < count:
    try:
        b = s.recv(70000)
    except socket.timeout:
        continue
    hflags, gso_type, hdr_len, gso_size, csum_start, csum_offset = struct.unpack('<BBHHHH', b[:10])
    f = bytearray(b[10:])
    if len(f) < HEADERS or f[12:14] != b'\x08\x00' or f[23] != 6 or struct.unpack('!H', f[36:38])[0] != 9:
        continue
    problems = []
    if hflags & 1:
        # The field holds the pseudo-header's sum: the sum from csum_start to the end, inverted, is the checksum.
        at = csum_start + csum_offset
        f[at:at + 2] = struct.pack('!H', csum(bytes(f[csum_start:])) or 0xFFFF)
    packets += 1
    ihl = (f[14] & 15) * 4
    total = struct.unpack('!H', f[16:18])[0]
    if ihl != 20 or 14 + total != len(f):
        problems.append('lengths ihl=%d total=%d frame=%d' % (ihl, total, len(f)))
    if csum(bytes(f[14:14 + ihl])) != 0:
        problems.append('IPv4 header checksum')
    seg = bytes(f[14 + ihl:14 + total])
    pseudo = bytes(f[26:34]) + struct.pack('!BBH', 0, 6, len(seg))
    if csum(pseudo + seg) != 0:
        problems.append('TCP checksum')
    thl = (seg[12] >> 4) * 4
    seq = struct.unpack('!I', seg[4:8])[0]
    k, off = seq >> 20, seq & 0xFFFFF
    payload = sizes[k % len(sizes)] - HEADERS
    data = seg[thl:]
    gso = gso_type == 1
    if gso:
        gsos += 1
        if gso_size != mss or hdr_len != 14 + ihl + thl:
            problems.append('GSO header: gso_size %d hdr_len %d' % (gso_size, hdr_len))
    elif gso_type != 0:
        problems.append('GSO type %d' % gso_type)
    if len(data) != (payload - off if gso else min(mss, payload - off)):
        problems.append('%d payload bytes at %d of %d' % (len(data), off, payload))
    if struct.unpack('!H', f[18:20])[0] != (k * 100 + off // mss) & 0xFFFF:
        problems.append('IP id')
    want = FLAGS
    if off + len(data) < payload:
        want &= ~0x09
    if off > 0:
        want &= ~0x80
    if seg[13] != want:
        problems.append('flags %x not %x' % (seg[13], want))
    if any(data[i] != pattern(k, off + i) for i in range(len(data))):
        problems.append('payload bytes')
    segs += (len(data) + mss - 1) // mss if len(data) > mss else 1
    if problems:
        bad += 1
        print('frame %d offset %d: %s' % (k, off, ', '.join(problems)), flush=True)
        continue
    covered = got.setdefault(k, set())
    if off not in covered:
        covered.add(off)
        if off == 0 and len(data) == payload or sum(min(mss, payload - o) for o in covered) == payload:
            whole += 1
print('whole=%d segments=%d packets=%d gso=%d bad=%d' % (whole, segs, packets, gsos, bad), flush=True)
