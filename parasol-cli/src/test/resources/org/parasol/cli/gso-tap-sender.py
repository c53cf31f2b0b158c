# The host's side of netgso's protocol, as netgso's sender (role=send) plays it, but from the host
# through the TAP: a raw AF_PACKET socket on the TAP with PACKET_VNET_HDR hands the host kernel
# each TCP/IPv4 frame with a virtio_net_hdr (VIRTIO_NET_HDR_GSO_TCPV4, the MSS as gso_size,
# hdr_len, VIRTIO_NET_HDR_F_NEEDS_CSUM at the TCP checksum, which holds the pseudo-header's sum),
# so the kernel queues it whole to the TAP's reader, dom0's uplink, as it would a TCP stack's
# TSO frame. Frame k is netgso's frame k (sizes[k % len], id 100 k, sequence k << 20, flags
# CWR|ACK|PSH|FIN, port 40000 to 9, netgso's payload pattern), to an address nobody has, so
# dom0's bridge floods it to every receiver. The receivers say READY (EtherType 0x88B7) until the
# first frame comes and answer "ACK k" once they have all of frame k; the next frame goes when
# every receiver answered (the same again after 500 ms without, up to 20 times); BYE at the end.
# Run in the test's network namespace:
#   python3 gso-tap-sender.py TAP MSS COUNT SIZES PEERS SECONDS
# Prints "ready" once bound, "peers N" once every receiver said READY, then
# "sent COUNT frames, R resent" (exit 0), or what went wrong (exit 1).
import socket, struct, sys, time

tap, mss, count, sizes, peers, seconds = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                          [int(x) for x in sys.argv[4].split(',')], int(sys.argv[5]), float(sys.argv[6]))
SOL_PACKET, PACKET_VNET_HDR, PACKET_OUTGOING = 263, 15, 4
CONTROL, READY, ACK, BYE = 0x88B7, 1, 2, 3
ME = bytes.fromhex('020000000077')
NOBODY = bytes.fromhex('020000000099')
HEADERS = 14 + 20 + 32

def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s

def words(b):
    if len(b) % 2:
        b += b'\0'
    return sum(struct.unpack('!%dH' % (len(b) // 2), b))

def pattern(k, o):
    return (k * 31 + o * 7 + (o >> 8)) & 0xFF

def frame(k):
    size = sizes[k % len(sizes)]
    payload = size - HEADERS
    ip = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, size - 14, (k * 100) & 0xFFFF, 0x4000, 64, 6, 0,
                               bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])))
    ip[10:12] = struct.pack('!H', (~fold(words(bytes(ip)))) & 0xFFFF)
    tcp_len = 32 + payload
    pseudo = fold(words(bytes(ip[12:20])) + 6 + tcp_len)  # the pseudo-header's sum, for the kernel to finish
    tcp = struct.pack('!HHIIBBHHHIII', 40000, 9, (k << 20) & 0xFFFFFFFF, 1, 8 << 4, 0x99, 65535, pseudo, 0,
                      0x0101080A, k, 0)
    data = bytes(pattern(k, o) for o in range(payload))
    gso = payload > mss
    hdr = struct.pack('<BBHHHH', 1, 1 if gso else 0, HEADERS, mss if gso else 0, 34, 16)
    return hdr + NOBODY + ME + struct.pack('!H', 0x0800) + bytes(ip) + tcp + data

def control(to, kind, value):
    return bytes(10) + to + ME + struct.pack('!HBI', CONTROL, kind, value) + bytes(41)

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
s.bind((tap, 0))
s.settimeout(0.05)
print('ready', flush=True)
end = time.time() + seconds
macs = []
current = resent = tries = 0
acked = set()
sent_at = None
def out(k):
    s.send(frame(k))

while time.time() < end:
    try:
        b, addr = s.recvfrom(70000)
    except socket.timeout:
        b, addr = None, None
    if b is not None and addr[2] != PACKET_OUTGOING:
        f = b[10:]
        if len(f) >= 19 and struct.unpack('!H', f[12:14])[0] == CONTROL:
            kind, value = f[14], struct.unpack('!I', f[15:19])[0]
            src = f[6:12]
            if kind == READY and src not in macs and sent_at is None:
                macs.append(src)
                if len(macs) == peers:
                    print('peers %d' % peers, flush=True)
                    out(current)
                    sent_at = time.time()
            elif kind == ACK and src in macs and sent_at is not None and value == current:
                acked.add(src)
                if len(acked) == peers:
                    acked = set()
                    tries = 0
                    current += 1
                    if current == count:
                        s.send(control(b'\xff' * 6, BYE, count))
                        time.sleep(0.2)
                        try:
                            s.send(control(b'\xff' * 6, BYE, count))  # once more, should the first be lost
                        except OSError:
                            pass  # the receivers had it: the run ended and the TAP with it
                        print('sent %d frames, %d resent' % (count, resent), flush=True)
                        sys.exit(0)
                    out(current)
                    sent_at = time.time()
    if sent_at is not None and time.time() - sent_at > 0.5:
        tries += 1
        if tries > 20:
            print('frame %d not answered by every receiver after 20 tries' % current, flush=True)
            sys.exit(1)
        resent += 1
        out(current)
        sent_at = time.time()
print('timed out: %d peers, frame %d' % (len(macs), current), flush=True)
sys.exit(1)
