package org.parasol.examples.netecho;

import java.time.Duration;
import java.util.Arrays;

import org.parasol.drivers.blk.Vbd;
import org.parasol.drivers.net.NetFront;
import org.parasol.drivers.net.Nics;
import org.parasol.drivers.net.stack.IpStack;
import org.parasol.drivers.net.stack.Ipv4Address;
import org.parasol.drivers.net.stack.Ipv4Settings;
import org.parasol.drivers.net.stack.NetTime;
import org.parasol.drivers.net.stack.UdpDatagram;
import org.parasol.drivers.net.stack.UdpSocket;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;

/**
 * netecho: the guest IP stack on netfront, or on the NE2000 in a native configuration ({@code Nics}). By default it answers ICMP echo (the stack does)
 * and echoes UDP datagrams on port 7 back to their sender, until a datagram "quit" comes or the
 * domain is shut down. With {@code role=ping target=A.B.C.D count=N} it is the client instead:
 * N ICMP echo requests to the target, one at a time, then N UDP datagrams to its port 7, each
 * answer checked byte for byte; it prints what it got, sends "quit" and powers off.
 *
 * <p>Command line: {@code ip=10.0.0.2/24 [gw=10.0.0.1] [role=ping target=10.0.0.3 count=10]}.
 * Expected output of the client: {@code netecho: 10/10 pings answered by 10.0.0.2, p50 ... us;
 * 10/10 UDP datagrams echoed}.
 */
public final class NetEchoKernel extends ApplicationKernel {
    private static final int ECHO_PORT = 7;
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private Kernel k;
    private IpStack stack;

    /** The kernel class an image names needs a public no-argument constructor. */
    public NetEchoKernel() {
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        String cmdline = k.commandLine();
        Ipv4Settings settings = Ipv4Settings.parse(cmdline);
        boolean ping = false;
        String target = null;
        int count = 10;
        boolean csum = true;
        for (String word : cmdline.trim().split("\\s+")) {
            if (word.equals("csum=off")) {
                csum = false;
            } else if (word.equals("role=ping")) {
                ping = true;
            } else if (word.startsWith("target=")) {
                target = word.substring(7);
            } else if (word.startsWith("count=")) {
                count = (int) Vbd.number("count", word.substring(6), 1, 100_000);
            }
        }
        boolean client = ping;
        Ipv4Address to = client ? Ipv4Address.parse(target) : null;
        int n = count;
        boolean offload = csum;
        return Nics.list(k).then(ids -> {
            if (ids.isEmpty()) {
                throw new IllegalStateException("netecho: this domain has no vif");
            }
            known = ids.get(0) == org.parasol.guest.x86.Ne2kDriver.DEVID ? null : ids; // vifs hot-plug, the card does not
            return Nics.connect(k, ids.get(0), offload);
        }).then(dev -> {
            stack = new IpStack(dev, NetTime.of(k), settings, IpStack.Config.defaults());
            k.println("netecho: " + settings + " on " + dev.mac() + (client ? ", pinging " + to : ", echoing"));
            Promise<Integer> run = client ? client(to, n) : server();
            return run.then(v -> {
                k.println("netecho: checksum offload " + (dev.checksumOffload() ? "on" : "off") + "; "
                        + dev.checksumBlankReceived() + " frames received with blank checksums, "
                        + dev.udpWithoutChecksumReceived() + " UDP datagrams without a checksum");
                stack.close();
                return dev.close().map(x -> v);
            });
        });
    }

    private java.util.List<Integer> known;

    private Promise<Integer> server() {
        Promise<Integer> done = k.loop().promise();
        // A vif attached at run time (xl network-attach) is connected as it comes, and closes when detached.
        org.parasol.guest.xenbus.XenbusWatch hotplug = known == null ? null : NetFront.watchInterfaces(k, known, id ->
                NetFront.connect(k, id, (nic, bytes, length) -> { }).whenDone((nic, e) -> {
                    if (e != null) {
                        k.println("netecho: hot-plugged vif " + id + ": " + e.getMessage());
                        return;
                    }
                    k.println("netecho: hot-plugged vif " + id + " (" + org.parasol.drivers.net.Vif.formatMac(nic.mac())
                            + "): connected");
                }));
        if (hotplug != null) {
            done.whenDone((v, e) -> hotplug.unwatch());
        }
        UdpSocket s = stack.bind(ECHO_PORT);
        int[] echoed = new int[1];
        s.onReceive(d -> {
            if (isQuit(d.payload())) {
                k.println("netecho: echoed " + echoed[0] + " datagrams; told to quit");
                done.complete(echoed[0]);
                return;
            }
            s.send(d.source(), d.sourcePort(), d.payload());
            echoed[0]++;
        });
        return done;
    }

    private Promise<Integer> client(Ipv4Address to, int count) {
        long[] rtts = new long[count];
        int[] got = new int[2];
        Promise<Void> pings = k.loop().completed(null);
        for (int i = 0; i < count; i++) {
            int seq = i;
            pings = pings.then(v -> {
                byte[] payload = new byte[56];
                for (int j = 0; j < payload.length; j++) {
                    payload[j] = (byte) (seq * 31 + j);
                }
                return stack.ping(to, payload, TIMEOUT).map(r -> {
                    if (!Arrays.equals(r.payload(), payload)) {
                        throw new IllegalStateException("netecho: echo reply " + seq + " differs from the request");
                    }
                    rtts[got[0]++] = r.roundTripNanos();
                    return null;
                });
            });
        }
        UdpSocket s = stack.bind(0);
        return pings.then(v -> {
            Promise<Void> udp = k.loop().completed(null);
            for (int i = 0; i < count; i++) {
                int seq = i;
                udp = udp.then(x -> {
                    byte[] payload = ("datagram " + seq + " of " + count).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                    s.send(to, ECHO_PORT, payload);
                    return s.receive().map(d -> {
                        check(d, payload, seq);
                        got[1]++;
                        return null;
                    });
                });
            }
            return udp;
        }).map(v -> {
            Arrays.sort(rtts, 0, got[0]);
            k.println("netecho: " + got[0] + "/" + count + " pings answered by " + to + ", p50 " + rtts[got[0] / 2] / 1000
                    + " us; " + got[1] + "/" + count + " UDP datagrams echoed");
            s.send(to, ECHO_PORT, "quit".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            s.close();
            return got[0] + got[1];
        });
    }

    /** "quit", or "quit" and a newline (as {@code echo quit | socat - UDP:...} sends it). */
    private static boolean isQuit(byte[] p) {
        int n = p.length > 0 && p[p.length - 1] == '\n' ? p.length - 1 : p.length;
        return n == 4 && p[0] == 'q' && p[1] == 'u' && p[2] == 'i' && p[3] == 't';
    }

    private static void check(UdpDatagram d, byte[] payload, int seq) {
        if (d.sourcePort() != ECHO_PORT || !Arrays.equals(d.payload(), payload)) {
            throw new IllegalStateException("netecho: UDP answer " + seq + " differs from what was sent");
        }
    }
}
