package org.parasol.examples.netecho;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

import org.parasol.drivers.net.NetFront;
import org.parasol.drivers.net.Nics;
import org.parasol.drivers.net.stack.EchoReply;
import org.parasol.drivers.net.stack.IpStack;
import org.parasol.drivers.net.stack.Ipv4Address;
import org.parasol.drivers.net.stack.Ipv4Settings;
import org.parasol.drivers.net.stack.NetTime;
import org.parasol.drivers.net.stack.NetTimeoutException;
import org.parasol.drivers.net.stack.UdpSocket;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.CommandLine;
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
    /** Sends of one echo request, datagram or "quit" before it counts as lost. */
    private static final int ATTEMPTS = 4;
    private static final String QUIT = "quit";
    private static final String BYE = "bye";

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
        String[] text = {"echo", null}; // role, target
        long[] count = {10};
        boolean[] csum = {true};
        new CommandLine("netecho")
                .others("ip", "gw") // Ipv4Settings's
                .choice("role", v -> text[0] = v, "echo", "ping")
                .string("target", v -> text[1] = v)
                .number("count", 1, 100_000, v -> count[0] = v)
                .choice("csum", v -> csum[0] = v.equals("on"), "on", "off")
                .parse(cmdline);
        boolean client = text[0].equals("ping");
        Ipv4Address to = client ? Ipv4Address.parse(text[1]) : null;
        int n = (int) count[0];
        boolean offload = csum[0];
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
                s.send(d.source(), d.sourcePort(), BYE.getBytes(StandardCharsets.US_ASCII));
                if (!done.isDone()) {
                    k.println("netecho: echoed " + echoed[0] + " datagrams; told to quit");
                    done.complete(echoed[0]);
                }
                return;
            }
            if (done.isDone()) {
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
        int[] resent = new int[1];
        Promise<Void> pings = k.loop().completed(null);
        for (int i = 0; i < count; i++) {
            int seq = i;
            pings = pings.then(v -> {
                byte[] payload = new byte[56];
                for (int j = 0; j < payload.length; j++) {
                    payload[j] = (byte) (seq * 31 + j);
                }
                return pingOnce(to, payload, seq, ATTEMPTS, resent).map(r -> {
                    if (r != null) {
                        rtts[got[0]++] = r.roundTripNanos();
                    }
                    return null;
                });
            });
        }
        UdpSocket s = stack.bind(0);
        return pings.then(v -> {
            Promise<Void> udp = k.loop().completed(null);
            for (int i = 0; i < count; i++) {
                int seq = i;
                udp = udp.then(x -> echoOnce(s, to, seq, count, ATTEMPTS, resent).map(ok -> {
                    if (ok) {
                        got[1]++;
                    }
                    return null;
                }));
            }
            return udp;
        }).then(v -> {
            Arrays.sort(rtts, 0, got[0]);
            k.println("netecho: " + got[0] + "/" + count + " pings answered by " + to + ", p50 "
                    + (got[0] == 0 ? "-" : String.valueOf(rtts[got[0] / 2] / 1000)) + " us; " + got[1] + "/" + count
                    + " UDP datagrams echoed" + (resent[0] == 0 ? "" : " (" + resent[0] + " resent after a loss)"));
            return quit(s, to, ATTEMPTS).map(acked -> {
                s.close();
                return got[0] + got[1];
            });
        });
    }

    /**
     * One echo request, sent again (up to {@code attempts} in all) when no reply comes within the
     * timeout, as a frame may be lost on a busy bridge; null if none was answered.
     */
    private Promise<EchoReply> pingOnce(Ipv4Address to, byte[] payload, int seq,
            int attempts, int[] resent) {
        Promise<EchoReply> out = k.loop().promise();
        stack.ping(to, payload, TIMEOUT).whenDone((r, e) -> {
            if (e == null) {
                if (!Arrays.equals(r.payload(), payload)) {
                    out.fail(new IllegalStateException("netecho: echo reply " + seq + " differs from the request"));
                } else {
                    out.complete(r);
                }
            } else if (e instanceof NetTimeoutException && attempts > 1) {
                resent[0]++;
                forward(pingOnce(to, payload, seq, attempts - 1, resent), out);
            } else if (e instanceof NetTimeoutException) {
                out.complete(null);
            } else {
                out.fail(e);
            }
        });
        return out;
    }

    /**
     * Datagram {@code seq} sent to the echo port and its echo awaited; sent again (up to {@code
     * attempts} in all) when none comes within the timeout. An echo of an earlier datagram (sent
     * again, then answered twice) is skipped; any other answer that differs is an error.
     */
    private Promise<Boolean> echoOnce(UdpSocket s, Ipv4Address to, int seq, int count, int attempts, int[] resent) {
        byte[] payload = datagram(seq, count);
        s.send(to, ECHO_PORT, payload);
        Promise<Boolean> out = k.loop().promise();
        awaitEcho(s, payload, seq, count, out, () -> {
            if (attempts > 1) {
                resent[0]++;
                forward(echoOnce(s, to, seq, count, attempts - 1, resent), out);
            } else {
                out.complete(false);
            }
        });
        return out;
    }

    private void awaitEcho(UdpSocket s, byte[] payload, int seq, int count, Promise<Boolean> out, Runnable lost) {
        s.receive(TIMEOUT).whenDone((d, e) -> {
            if (e instanceof NetTimeoutException) {
                lost.run();
            } else if (e != null) {
                out.fail(e);
            } else if (d.sourcePort() == ECHO_PORT && Arrays.equals(d.payload(), payload)) {
                out.complete(true);
            } else if (d.sourcePort() == ECHO_PORT && earlier(d.payload(), seq, count)) {
                awaitEcho(s, payload, seq, count, out, lost);
            } else {
                out.fail(new IllegalStateException("netecho: UDP answer " + seq + " differs from what was sent"));
            }
        });
    }

    private static boolean earlier(byte[] p, int seq, int count) {
        for (int i = 0; i < seq; i++) {
            if (Arrays.equals(p, datagram(i, count))) {
                return true;
            }
        }
        return false;
    }

    private static byte[] datagram(int seq, int count) {
        return ("datagram " + seq + " of " + count).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * "quit" to the server, which answers "bye" before it stops; sent again (up to {@code
     * attempts} in all) until the answer comes, so one lost frame does not leave the server
     * running. False if no answer came (the server may have stopped with the answer lost).
     */
    private Promise<Boolean> quit(UdpSocket s, Ipv4Address to, int attempts) {
        s.send(to, ECHO_PORT, QUIT.getBytes(StandardCharsets.US_ASCII));
        Promise<Boolean> out = k.loop().promise();
        awaitBye(s, to, attempts, out);
        return out;
    }

    private void awaitBye(UdpSocket s, Ipv4Address to, int attempts, Promise<Boolean> out) {
        s.receive(TIMEOUT).whenDone((d, e) -> {
            if (e instanceof NetTimeoutException) {
                if (attempts > 1) {
                    forward(quit(s, to, attempts - 1), out);
                } else {
                    out.complete(false);
                }
            } else if (e != null) {
                out.fail(e);
            } else if (BYE.equals(new String(d.payload(), StandardCharsets.US_ASCII))) {
                out.complete(true);
            } else {
                awaitBye(s, to, attempts, out); // a late echo of a datagram sent twice
            }
        });
    }

    /** Completes or fails {@code to} as {@code from} does: a resend's outcome is the first send's. */
    private static <T> void forward(Promise<T> from, Promise<T> to) {
        from.whenDone((v, e) -> {
            if (e != null) {
                to.fail(e);
            } else {
                to.complete(v);
            }
        });
    }

    /** "quit", or "quit" and a newline (as {@code echo quit | socat - UDP:...} sends it). */
    private static boolean isQuit(byte[] p) {
        int n = p.length > 0 && p[p.length - 1] == '\n' ? p.length - 1 : p.length;
        return n == 4 && p[0] == 'q' && p[1] == 'u' && p[2] == 'i' && p[3] == 't';
    }

}
