package org.parasol.hypervisor.hvm;

/**
 * The PC's pair of 8259A interrupt controllers: the master at ports {@code 0x20}/{@code 0x21}
 * (IRQ 0-7), the slave at {@code 0xA0}/{@code 0xA1} (IRQ 8-15) cascaded into the master's
 * IRQ 2. Devices raise and lower their lines ({@link #setIrq}); the CPU side asks whether an
 * interrupt is waiting ({@link #pending}) and, when it takes it at an instruction boundary with
 * IF set, acknowledges it ({@link #acknowledge}: the INTA cycle) to get the vector.
 *
 * <pre>
 *  command port (0x20/0xA0) write            data port (0x21/0xA1) write
 *    bit 4 set: ICW1 (IC4, SNGL, LTIM)          during initialization: ICW2 (vector base),
 *    bits 4-3 = 00: OCW2 (EOI, rotation)          ICW3 (cascade), ICW4 (AEOI, 8086)
 *    bits 4-3 = 01: OCW3 (read IRR/ISR, poll,   otherwise: OCW1, the interrupt mask (IMR)
 *                   special mask)
 *  command port read: IRR or ISR (OCW3), or the poll word    data port read: IMR
 * </pre>
 *
 * <p>Each chip resolves priority as the 8259A does: fully nested, IR0 highest unless rotated
 * (OCW2's rotate and set-priority commands), an interrupt delivered only if its priority is
 * above every one in service (with the special mask mode, in-service levels that are masked
 * stop blocking). Edge-triggered inputs latch IRR on a rising edge; level-triggered (ICW1's
 * LTIM) follow the line. An INTA with nothing left to give (the request went away) returns
 * the chip's IR7 vector without setting ISR: the spurious interrupt.
 *
 * <p>The guest is hostile: any byte to any of the four ports in any order is taken, nothing
 * throws, and the state is a few bytes. Used by one domain's vCPU threads; a private lock
 * serializes them. Allocates nothing.
 */
public final class Pic8259 {
    /** The master's command port. */
    public static final int MASTER = 0x20;
    /** The slave's command port. */
    public static final int SLAVE = 0xA0;
    /** The master's input the slave is wired to. */
    public static final int CASCADE_IRQ = 2;

    private final Object lock = new Object();
    private final Chip master = new Chip();
    private final Chip slave = new Chip();
    private long acknowledged;
    /** The master's INT output, published for {@link #pending} to read without the lock. */
    private volatile boolean output;

    /** Whether {@code port} is one of the pair's. */
    public static boolean claims(int port) {
        return port == MASTER || port == MASTER + 1 || port == SLAVE || port == SLAVE + 1;
    }

    /** A byte read from {@code port}. */
    public int read(int port) {
        synchronized (lock) {
            Chip c = (port & 0xF0) == SLAVE ? slave : master;
            int v = (port & 1) == 0 ? c.readCommand() : c.imr;
            cascade();
            return v;
        }
    }

    /** A byte written to {@code port}. */
    public void write(int port, int value) {
        synchronized (lock) {
            Chip c = (port & 0xF0) == SLAVE ? slave : master;
            int v = value & 0xFF;
            if ((port & 1) == 0) {
                c.writeCommand(v);
            } else {
                c.writeData(v);
            }
            cascade();
        }
    }

    /** Raises ({@code true}) or lowers device line {@code irq} (0-15; others are ignored). */
    public void setIrq(int irq, boolean level) {
        if (irq < 0 || irq > 15 || irq == CASCADE_IRQ) {
            return;
        }
        synchronized (lock) {
            if (irq < 8) {
                master.setInput(irq, level);
            } else {
                slave.setInput(irq - 8, level);
            }
            cascade();
        }
    }

    /** The slave's INT output is the master's IR2 request, followed as a level (it falls when INTA puts it in service). */
    private void cascade() {
        int bit = 1 << CASCADE_IRQ;
        master.irr = slave.highestDeliverable() >= 0 ? master.irr | bit : master.irr & ~bit;
        output = master.highestDeliverable() >= 0;
    }

    /** Whether the master's INT output is raised: an interrupt waits for the CPU. No lock: checked at every instruction boundary. */
    public boolean pending() {
        return output;
    }

    /**
     * The INTA cycle: the vector of the highest-priority deliverable interrupt, now in service
     * (unless in auto-EOI mode); the IR7 vector of the chip that had nothing (spurious).
     */
    public int acknowledge() {
        synchronized (lock) {
            acknowledged++;
            int irq = master.highestDeliverable();
            if (irq < 0) {
                return master.base | 7;
            }
            master.take(irq);
            if (irq != CASCADE_IRQ) {
                cascade();
                return master.base | irq;
            }
            int s = slave.highestDeliverable();
            int vector;
            if (s < 0) {
                vector = slave.base | 7;
            } else {
                slave.take(s);
                vector = slave.base | s;
            }
            cascade();
            return vector;
        }
    }

    /** INTA cycles so far. */
    public long acknowledged() {
        synchronized (lock) {
            return acknowledged;
        }
    }

    /** The interrupt mask of both chips, slave's in bits 8-15. */
    public int imr() {
        synchronized (lock) {
            return slave.imr << 8 | master.imr;
        }
    }

    /** In-service bits of both chips, slave's in bits 8-15. */
    public int isr() {
        synchronized (lock) {
            return slave.isr << 8 | master.isr;
        }
    }

    /** Request bits of both chips, slave's in bits 8-15. */
    public int irr() {
        synchronized (lock) {
            return slave.irr << 8 | master.irr;
        }
    }

    /** One 8259A. */
    private static final class Chip {
        int irr;
        int isr;
        int imr = 0xFF; // masked until a driver programs it
        int lastInput;
        int base;
        /** The IR with the lowest priority; the highest is the one after it. */
        int lowest = 7;
        /** Initialization: 0 done, 2 waits for ICW2, 3 for ICW3, 4 for ICW4. */
        int initStep;
        boolean icw4Needed;
        boolean single;
        boolean levelTriggered;
        boolean autoEoi;
        boolean rotateOnAutoEoi;
        boolean specialMask;
        boolean readIsr;
        boolean poll;

        void setInput(int ir, boolean level) {
            int bit = 1 << ir;
            if (levelTriggered) {
                irr = level ? irr | bit : irr & ~bit;
            } else if (level && (lastInput & bit) == 0) {
                irr |= bit;
            }
            lastInput = level ? lastInput | bit : lastInput & ~bit;
        }

        /** The priority of {@code ir}: 0 the highest. */
        int priority(int ir) {
            return (ir - lowest - 1) & 7;
        }

        /** The deliverable IR of the highest priority, or -1. */
        int highestDeliverable() {
            int requests = irr & ~imr;
            if (requests == 0) {
                return -1;
            }
            int blocking = specialMask ? isr & ~imr : isr;
            for (int p = 0; p < 8; p++) {
                int ir = (lowest + 1 + p) & 7;
                if ((blocking & 1 << ir) != 0) {
                    return -1; // one in service at a higher priority
                }
                if ((requests & 1 << ir) != 0) {
                    return ir;
                }
            }
            return -1;
        }

        /** INTA for {@code ir}: in service (or not, with auto-EOI), the request taken. */
        void take(int ir) {
            int bit = 1 << ir;
            if (!levelTriggered) {
                irr &= ~bit;
            }
            if (autoEoi) {
                if (rotateOnAutoEoi) {
                    lowest = ir;
                }
            } else {
                isr |= bit;
            }
        }

        int readCommand() {
            if (poll) {
                poll = false;
                int ir = highestDeliverable();
                if (ir < 0) {
                    return 0;
                }
                take(ir);
                return 0x80 | ir;
            }
            return readIsr ? isr : irr;
        }

        void writeCommand(int v) {
            if ((v & 0x10) != 0) {
                // ICW1: start initialization.
                icw4Needed = (v & 0x01) != 0;
                single = (v & 0x02) != 0;
                levelTriggered = (v & 0x08) != 0;
                imr = 0;
                isr = 0;
                irr = 0;
                lastInput = 0;
                lowest = 7;
                specialMask = false;
                readIsr = false;
                poll = false;
                autoEoi = false;
                rotateOnAutoEoi = false;
                initStep = 2;
            } else if ((v & 0x08) == 0) {
                ocw2(v);
            } else {
                // OCW3.
                if ((v & 0x02) != 0) {
                    readIsr = (v & 0x01) != 0;
                }
                poll = (v & 0x04) != 0;
                if ((v & 0x40) != 0) {
                    specialMask = (v & 0x20) != 0;
                }
            }
        }

        private void ocw2(int v) {
            int level = v & 7;
            switch (v >>> 5) {
                case 0 -> rotateOnAutoEoi = false;
                case 4 -> rotateOnAutoEoi = true;
                case 1, 5 -> { // non-specific EOI (5: and rotate)
                    int ir = highestInService();
                    if (ir >= 0) {
                        isr &= ~(1 << ir);
                        if (v >>> 5 == 5) {
                            lowest = ir;
                        }
                    }
                }
                case 3 -> isr &= ~(1 << level); // specific EOI
                case 7 -> { // specific EOI and rotate
                    isr &= ~(1 << level);
                    lowest = level;
                }
                case 6 -> lowest = level; // set priority
                default -> {
                    // 2: no operation
                }
            }
        }

        /** The in-service IR of the highest priority, or -1. */
        private int highestInService() {
            for (int p = 0; p < 8; p++) {
                int ir = (lowest + 1 + p) & 7;
                if ((isr & 1 << ir) != 0) {
                    return ir;
                }
            }
            return -1;
        }

        void writeData(int v) {
            switch (initStep) {
                case 2 -> {
                    base = v & 0xF8;
                    initStep = single ? (icw4Needed ? 4 : 0) : 3;
                }
                case 3 -> initStep = icw4Needed ? 4 : 0; // ICW3: the cascade wiring is fixed here
                case 4 -> {
                    autoEoi = (v & 0x02) != 0;
                    initStep = 0;
                }
                default -> imr = v;
            }
        }
    }
}
