package org.parasol.hypervisor.hvm;

/**
 * The PC's 8254 programmable interval timer: three 16-bit down-counters clocked at
 * {@value #FREQUENCY_HZ} Hz, their data ports at {@code 0x40..0x42} and the mode/command port
 * at {@code 0x43}. Channel 0's OUT is wired to IRQ 0 of the 8259 pair.
 *
 * <pre>
 *  0x43 write:  7  6 | 5  4 | 3  2  1 | 0
 *              SC1 SC0| RW1 RW0| M2 M1 M0|BCD     SC: channel 0-2, 3 = read-back
 *                                                RW: 00 latch the count, 01 low byte,
 *                                                    10 high byte, 11 low then high
 *                                                M: mode 0-5 (6 and 7 are 2 and 3)
 *  read-back:  1  1 | /COUNT /STATUS | CNT2 CNT1 CNT0 | 0    latch the selected channels
 *  status byte: OUT | NULL COUNT | RW1 RW0 | M2 M1 M0 | BCD
 * </pre>
 *
 * <p>What is modelled: the control word (which stops a channel until its count is written),
 * the count written as the access mode says (a low/high pair through one flip-flop per
 * direction), the counter latch command and read-back (count and status), reads of the
 * running count. Counting follows the time the caller passes (nanoseconds of system time), so
 * no thread ticks: the count is computed from when the channel was loaded.
 * <ul>
 *   <li>mode 2 (rate generator) and mode 3 (square wave): periodic; OUT rises once a period,
 *       which is one IRQ 0 edge. Mode 2 counts N..1; mode 3 counts down by two, twice a
 *       period. A count written while counting takes effect at the end of the current
 *       period;</li>
 *   <li>mode 0 (interrupt on terminal count) and mode 4 (software strobe): one-shot, one edge
 *       when the count runs out; the counter then wraps and goes on without another;</li>
 *   <li>modes 1 (hardware-retriggerable one-shot) and 5 (hardware-triggered strobe) start on a
 *       rising GATE: OUT low until terminal count (mode 1), or low for one clock at it (mode 5).
 *       Channels 0 and 1 have GATE tied high, so they never start there.</li>
 * </ul>
 * GATE, as Xen's {@code pit_set_gate} takes it: falling, it stops modes 0, 2, 3 and 4 where they
 * are; rising, it lets modes 0 and 4 go on from there and reloads modes 1, 2, 3 and 5 (a fresh
 * count). Only channel 2's GATE moves: bit 0 of port {@value #PORT_B} (system control port B),
 * low at reset; bit 1 is the speaker's data enable (kept, drives nothing), bit 4 reads the refresh
 * clock (toggling every 2^14 ns of system time, as Xen approximates the ~15 µs refresh), bit 5
 * reads channel 2's OUT.
 * A count of 0 is 65,536 (binary) or 10,000 (BCD). BCD counting is taken as binary for the
 * count's range and read back in binary (a departure: docs/deviations.md). Channel 1 counts but
 * drives nothing (there is no DRAM to refresh); channel 2's OUT is read through port B and
 * drives no speaker.
 *
 * <p>The guest is hostile: any byte to any of the four ports, in any order, is taken and nothing
 * throws; the state is a few words per channel. A private lock serializes the domain's vCPUs
 * (never held while anything else is called). Allocates nothing.
 */
public final class Pit8254 {
    /** The counters' input clock: 14.31818 MHz / 12. */
    public static final long FREQUENCY_HZ = 1_193_182;
    /** Channel 0's data port. */
    public static final int CHANNEL0 = 0x40;
    /** The mode/command port. */
    public static final int COMMAND = 0x43;
    /** Channel 0's output drives IRQ 0. */
    public static final int IRQ = 0;
    /** System control port B: channel 2's GATE and speaker enable (write), its OUT and the refresh clock (read). */
    public static final int PORT_B = 0x61;

    private static final int ACCESS_LATCH = 0;
    private static final int ACCESS_LOW = 1;
    private static final int ACCESS_HIGH = 2;
    private static final int ACCESS_WORD = 3;

    private final Object lock = new Object();
    /** Channel 2's GATE is port B's bit 0, low at reset; channels 0 and 1 have it tied high. */
    private final Channel[] channels = {new Channel(true), new Channel(true), new Channel(false)};
    /** Port B's bit 1: the speaker's data enable (drives nothing here). */
    private boolean speakerData;
    /** Channel 0 counts in mode 0, 2, 3 or 4 (written under the lock, read without it). */
    private volatile boolean armed;
    /** IRQ 0 edges produced so far and taken by {@link #takeEdges}. */
    private long edgesTaken;

    /** Whether {@code port} is one of the PIT's. */
    public static boolean claims(int port) {
        return port >= CHANNEL0 && port <= COMMAND;
    }

    /** The PIT input clock's tick count at {@code nanos} of system time (exact, no drift). */
    static long ticksAt(long nanos) {
        long n = Math.max(nanos, 0);
        return n / 1_000_000_000L * FREQUENCY_HZ + n % 1_000_000_000L * FREQUENCY_HZ / 1_000_000_000L;
    }

    /** The first system time (ns) at which the clock has made {@code ticks} ticks. */
    static long nanosAt(long ticks) {
        long whole = ticks / FREQUENCY_HZ;
        long rest = ticks % FREQUENCY_HZ;
        if (whole >= Long.MAX_VALUE / 1_000_000_000L - 1) {
            return Long.MAX_VALUE; // beyond any system time
        }
        // Round up: the tick has happened at this time.
        return whole * 1_000_000_000L + (rest * 1_000_000_000L + FREQUENCY_HZ - 1) / FREQUENCY_HZ;
    }

    /** A byte read from {@code port} at system time {@code now}. */
    public int read(int port, long now) {
        if (!claims(port) || port == COMMAND) {
            return 0xFF; // the command port is write-only
        }
        synchronized (lock) {
            return channels[port - CHANNEL0].read(ticksAt(now));
        }
    }

    /** A byte written to {@code port} at system time {@code now}. */
    public void write(int port, int value, long now) {
        if (!claims(port)) {
            return;
        }
        int v = value & 0xFF;
        long t = ticksAt(now);
        synchronized (lock) {
            if (port != COMMAND) {
                channels[port - CHANNEL0].writeCount(v, t);
                armed = channels[0].makesEdges();
                return;
            }
            int sc = v >>> 6;
            if (sc == 3) {
                for (int c = 0; c < 3; c++) {
                    if ((v & 2 << c) != 0) {
                        Channel ch = channels[c];
                        if ((v & 0x20) == 0) {
                            ch.latchCount(t);
                        }
                        if ((v & 0x10) == 0) {
                            ch.latchStatus(t);
                        }
                    }
                }
                return;
            }
            Channel ch = channels[sc];
            int access = v >>> 4 & 3;
            if (access == ACCESS_LATCH) {
                ch.latchCount(t);
            } else {
                ch.control(v, t);
            }
            armed = channels[0].makesEdges();
        }
    }

    /** A read of port B ({@value #PORT_B}) at system time {@code now}. */
    public int readPortB(long now) {
        int refresh = (int) (Math.max(now, 0) >>> 14) & 1;
        synchronized (lock) {
            Channel ch2 = channels[2];
            return (ch2.out(ticksAt(now)) ? 0x20 : 0) | refresh << 4 | (speakerData ? 0x02 : 0) | (ch2.gate ? 0x01 : 0);
        }
    }

    /** A write of port B ({@value #PORT_B}) at system time {@code now}: channel 2's GATE and the speaker's enable. */
    public void writePortB(int value, long now) {
        long t = ticksAt(now);
        synchronized (lock) {
            speakerData = (value & 0x02) != 0;
            channels[2].setGate((value & 0x01) != 0, t);
        }
    }

    /**
     * How many IRQ 0 edges channel 0 has made up to {@code now} that were not taken before.
     * The caller pulses IRQ 0 once if this is not 0 (edges the 8259 could not tell apart are
     * lost, as on a PC whose interrupts are held off).
     */
    public long takeEdges(long now) {
        synchronized (lock) {
            long edges = channels[0].edges(ticksAt(now));
            long fresh = edges - edgesTaken;
            edgesTaken = edges;
            return Math.max(fresh, 0);
        }
    }

    /** Whether channel 0 has made an edge up to {@code now} that {@link #takeEdges} has not taken. */
    public boolean edgesWaiting(long now) {
        synchronized (lock) {
            return channels[0].edges(ticksAt(now)) > edgesTaken;
        }
    }

    /**
     * The system time of channel 0's next IRQ 0 edge after {@code now}, or -1 if none is coming
     * (not counting, a one-shot that has fired, a mode waiting for GATE).
     */
    public long nextEdge(long now) {
        synchronized (lock) {
            long tick = channels[0].nextEdgeTick(ticksAt(now));
            return tick < 0 ? -1 : nanosAt(tick);
        }
    }

    /**
     * Whether channel 0 counts in a mode that makes edges (the CPU side then looks at the time
     * at each instruction boundary). A plain read: a stale answer costs one boundary.
     */
    public boolean armed() {
        return armed;
    }

    /** One counter. Ticks are absolute counts of the input clock. */
    private static final class Channel {
        int mode;
        int access = ACCESS_WORD;
        boolean bcd;
        /** The count register (what was written), 1..65536. */
        int reload = 0x10000;
        /** A count written while a periodic mode counts, for the end of the current period. */
        int pendingReload;
        long pendingFrom;
        /** Whether the counting element has a count and runs. */
        boolean counting;
        /** The tick the current count started at. */
        long start;
        /** Edges before the current count's start (periodic reloads folded in). */
        long edgesBefore;
        /** The low byte of a word being written, and whether it is waiting for its high byte. */
        int writeLow;
        boolean writeHigh;
        /** The next byte of a word read is the high one. */
        boolean readHigh;
        /** A latched count (-1: none) and whether its high byte is next. */
        int latched = -1;
        boolean latchedHigh;
        /** A latched status byte (-1: none). */
        int status = -1;
        boolean nullCount = true;
        /** The GATE input. */
        boolean gate;
        /** The tick GATE fell at while a mode it stops (0, 2, 3, 4) counted: time stands still there (-1: runs). */
        long stoppedAt = -1;

        Channel(boolean gate) {
            this.gate = gate;
        }

        /** Time as the counting element sees it: stopped where GATE fell. */
        private long at(long t) {
            return stoppedAt >= 0 && t > stoppedAt ? stoppedAt : t;
        }

        private boolean gateStops() {
            return mode == 0 || mode == 2 || mode == 3 || mode == 4;
        }

        /** GATE to {@code level} at tick {@code t} (see the class comment). */
        void setGate(boolean level, long t) {
            if (level == gate) {
                return;
            }
            gate = level;
            if (!level) {
                if (counting && gateStops() && stoppedAt < 0) {
                    stoppedAt = Math.max(t, start);
                }
                return;
            }
            if (nullCount) {
                return; // no count written yet: nothing to start or go on with
            }
            if (mode == 0 || mode == 4) {
                if (stoppedAt >= 0) {
                    long stood = t - stoppedAt;
                    start += stood;
                    stoppedAt = -1;
                }
                return;
            }
            // Modes 1, 2, 3 and 5: a rising GATE loads the count afresh.
            edgesBefore = edges(t);
            if (pendingReload != 0) {
                reload = pendingReload;
                pendingReload = 0;
            }
            stoppedAt = -1;
            start = t + 1;
            counting = true;
        }

        void control(int v, long t) {
            // The edges made so far stay made.
            edgesBefore = edges(t);
            access = v >>> 4 & 3;
            int m = v >>> 1 & 7;
            mode = m >= 6 ? m - 4 : m;
            bcd = (v & 1) != 0;
            counting = false;
            stoppedAt = -1;
            pendingReload = 0;
            writeHigh = false;
            readHigh = false;
            latched = -1;
            status = -1;
            nullCount = true;
        }

        void writeCount(int v, long t) {
            int count;
            switch (access) {
                case ACCESS_LOW -> count = v;
                case ACCESS_HIGH -> count = v << 8;
                default -> {
                    if (!writeHigh) {
                        writeLow = v;
                        writeHigh = true;
                        if (mode == 0) {
                            // Mode 0: writing the first byte stops the count.
                            edgesBefore = edges(t);
                            counting = false;
                            stoppedAt = -1;
                        }
                        return;
                    }
                    writeHigh = false;
                    count = writeLow | v << 8;
                }
            }
            int n = count == 0 ? (bcd ? 10_000 : 0x10000) : count;
            nullCount = false;
            if (mode == 1 || mode == 5) {
                // Loaded into the counting element by the next rising GATE, not by the write.
                if (counting) {
                    pendingReload = n;
                    pendingFrom = Long.MAX_VALUE;
                } else {
                    reload = n;
                }
                return;
            }
            if (counting && stoppedAt < 0 && (mode == 2 || mode == 3)) {
                // Loaded at the end of the current period.
                long sinceStart = t - start;
                pendingFrom = start + (sinceStart / reload + 1) * reload;
                pendingReload = n;
                return;
            }
            edgesBefore = edges(t);
            reload = n;
            start = t + 1; // the count is loaded on the next clock
            counting = true;
            pendingReload = 0;
            stoppedAt = gate ? -1 : start; // GATE low: loaded, and standing still until it rises
        }

        /** Folds a count waiting for the end of its period in once that end has passed. */
        private void settle(long t) {
            if (pendingReload != 0 && t >= pendingFrom) {
                edgesBefore += (pendingFrom - start) / reload;
                start = pendingFrom;
                reload = pendingReload;
                pendingReload = 0;
            }
        }

        long edges(long t) {
            t = at(t);
            if (!counting || t < start) {
                return edgesBefore;
            }
            settle(t);
            long elapsed = t - start;
            return switch (mode) {
                case 2, 3 -> edgesBefore + elapsed / reload;
                case 0, 1, 4 -> edgesBefore + (elapsed >= reload ? 1 : 0);
                default -> edgesBefore + (elapsed > reload ? 1 : 0); // 5: OUT back up after its strobe
            };
        }

        boolean makesEdges() {
            return counting && stoppedAt < 0;
        }

        /** The tick of the next edge after {@code t}, or -1 if none is coming. */
        long nextEdgeTick(long t) {
            if (!counting || stoppedAt >= 0) {
                return -1;
            }
            int last = mode == 5 ? reload + 1 : reload;
            if (t < start) {
                return start + last;
            }
            settle(t);
            long elapsed = t - start;
            if (mode == 2 || mode == 3) {
                long next = start + (elapsed / reload + 1) * reload;
                return pendingReload != 0 && next > pendingFrom ? pendingFrom : next;
            }
            return elapsed < last ? start + last : -1;
        }

        /** The counting element's value at {@code t}. */
        int count(long t) {
            t = at(t);
            if (!counting || t < start) {
                return reload & 0xFFFF;
            }
            settle(t);
            long elapsed = t - start;
            return switch (mode) {
                case 2 -> (int) (reload - elapsed % reload) & 0xFFFF;
                case 3 -> {
                    int half = Math.max(reload / 2, 1);
                    yield (int) (reload - 2 * (elapsed % half)) & 0xFFFF;
                }
                default -> (int) (reload - elapsed) & 0xFFFF; // 0, 1, 4 and 5 wrap and go on
            };
        }

        boolean out(long t) {
            if (!counting) {
                return mode != 0;
            }
            if (stoppedAt >= 0 && (mode == 2 || mode == 3)) {
                return true; // GATE low forces OUT high in modes 2 and 3
            }
            t = at(t);
            long elapsed = Math.max(t - start, 0);
            return switch (mode) {
                case 0, 1 -> elapsed >= reload;
                case 2 -> elapsed % reload != reload - 1;
                case 3 -> elapsed % reload < (reload + 1) / 2;
                case 4 -> elapsed != reload;
                case 5 -> elapsed != reload;
                default -> true;
            };
        }

        void latchCount(long t) {
            if (latched < 0) {
                latched = count(t);
                latchedHigh = false;
            }
        }

        void latchStatus(long t) {
            if (status < 0) {
                status = (out(t) ? 0x80 : 0) | (nullCount ? 0x40 : 0) | access << 4 | mode << 1 | (bcd ? 1 : 0);
            }
        }

        int read(long t) {
            if (status >= 0) {
                int s = status;
                status = -1;
                return s;
            }
            int value;
            boolean fromLatch = latched >= 0;
            int c = fromLatch ? latched : count(t);
            switch (access) {
                case ACCESS_LOW -> value = c & 0xFF;
                case ACCESS_HIGH -> value = c >>> 8 & 0xFF;
                default -> {
                    boolean high = fromLatch ? latchedHigh : readHigh;
                    value = high ? c >>> 8 & 0xFF : c & 0xFF;
                    if (fromLatch) {
                        latchedHigh = !latchedHigh;
                        if (!latchedHigh) {
                            latched = -1; // both bytes read: the latch lets go
                        }
                        return value;
                    }
                    readHigh = !readHigh;
                    return value;
                }
            }
            if (fromLatch) {
                latched = -1;
            }
            return value;
        }
    }
}
