package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.abi.Sif;

/**
 * The page a PV kernel boots with: mirrors {@code xen.h}: {@code start_info} (x86-64, 1168 bytes).
 * Its virtual address arrives in {@code rsi} at entry.
 *
 * <pre>
 *    0 magic[32] "xen-3.0-x86_64\0"
 *   32 nr_pages          u64     40 shared_info (machine address) u64
 *   48 flags (SIF_*)     u32     52 pad
 *   56 store_mfn         u64     64 store_evtchn u32, pad
 *   72 console: domU { mfn u64 @72, evtchn u32 @80, pad } | dom0 { info_off u32 @72, info_size u32 @76 }
 *   88 pt_base  96 nr_pt_frames  104 mfn_list  112 mod_start  120 mod_len   (u64 each)
 *  128 cmd_line[1024]
 * 1152 first_p2m_pfn u64   1160 nr_p2m_frames u64
 * </pre>
 *
 * <p>Invariants: {@code magic} and {@code cmd_line} are NUL-terminated inside their arrays;
 * {@code shared_info} is a machine address, the other frame fields are MFNs; the fields from
 * {@code pt_base} to {@code mod_len} and the two p2m fields are valid only on first boot.
 * The hypervisor writes the page once before entry; the guest only reads it.
 */
public final class StartInfo {
    /** Size of the {@code magic} array. */
    public static final int MAGIC_LENGTH = 32;

    /** Layout of the {@code console} union. */
    public static final MemoryLayout CONSOLE_LAYOUT = MemoryLayout.unionLayout(
            MemoryLayout.structLayout(
                    Layouts.U64.withName("mfn"),
                    Layouts.U32.withName("evtchn"),
                    MemoryLayout.paddingLayout(4)).withName("domU"),
            MemoryLayout.structLayout(
                    Layouts.U32.withName("info_off"),
                    Layouts.U32.withName("info_size")).withName("dom0")).withName("console");

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(MAGIC_LENGTH, Layouts.U8).withName("magic"),
            Layouts.U64.withName("nr_pages"),
            Layouts.U64.withName("shared_info"),
            Layouts.U32.withName("flags"),
            MemoryLayout.paddingLayout(4),
            Layouts.U64.withName("store_mfn"),
            Layouts.U32.withName("store_evtchn"),
            MemoryLayout.paddingLayout(4),
            CONSOLE_LAYOUT,
            Layouts.U64.withName("pt_base"),
            Layouts.U64.withName("nr_pt_frames"),
            Layouts.U64.withName("mfn_list"),
            Layouts.U64.withName("mod_start"),
            Layouts.U64.withName("mod_len"),
            MemoryLayout.sequenceLayout(Sif.MAX_GUEST_CMDLINE, Layouts.U8).withName("cmd_line"),
            Layouts.U64.withName("first_p2m_pfn"),
            Layouts.U64.withName("nr_p2m_frames")).withName("start_info");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long MAGIC_OFFSET = Layouts.offsetOf(LAYOUT, "magic");
    public static final long NR_PAGES_OFFSET = Layouts.offsetOf(LAYOUT, "nr_pages");
    public static final long SHARED_INFO_OFFSET = Layouts.offsetOf(LAYOUT, "shared_info");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long STORE_MFN_OFFSET = Layouts.offsetOf(LAYOUT, "store_mfn");
    public static final long STORE_EVTCHN_OFFSET = Layouts.offsetOf(LAYOUT, "store_evtchn");
    public static final long CONSOLE_MFN_OFFSET = Layouts.offsetOf(LAYOUT, "console", "domU", "mfn");
    public static final long CONSOLE_EVTCHN_OFFSET = Layouts.offsetOf(LAYOUT, "console", "domU", "evtchn");
    public static final long CONSOLE_INFO_OFF_OFFSET = Layouts.offsetOf(LAYOUT, "console", "dom0", "info_off");
    public static final long CONSOLE_INFO_SIZE_OFFSET = Layouts.offsetOf(LAYOUT, "console", "dom0", "info_size");
    public static final long PT_BASE_OFFSET = Layouts.offsetOf(LAYOUT, "pt_base");
    public static final long NR_PT_FRAMES_OFFSET = Layouts.offsetOf(LAYOUT, "nr_pt_frames");
    public static final long MFN_LIST_OFFSET = Layouts.offsetOf(LAYOUT, "mfn_list");
    public static final long MOD_START_OFFSET = Layouts.offsetOf(LAYOUT, "mod_start");
    public static final long MOD_LEN_OFFSET = Layouts.offsetOf(LAYOUT, "mod_len");
    public static final long CMD_LINE_OFFSET = Layouts.offsetOf(LAYOUT, "cmd_line");
    public static final long FIRST_P2M_PFN_OFFSET = Layouts.offsetOf(LAYOUT, "first_p2m_pfn");
    public static final long NR_P2M_FRAMES_OFFSET = Layouts.offsetOf(LAYOUT, "nr_p2m_frames");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public StartInfo() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public StartInfo wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public StartInfo clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The magic string up to its NUL, decoded as ASCII (allocates: for boot and logs). */
    public String magic() {
        return readString(MAGIC_OFFSET, MAGIC_LENGTH);
    }

    /**
     * Writes the magic string and its NUL; the rest of the array is zeroed.
     *
     * @throws IllegalArgumentException if it is not ASCII or leaves no room for the NUL
     */
    public StartInfo magic(String magic) {
        writeString(MAGIC_OFFSET, MAGIC_LENGTH, magic);
        return this;
    }

    public long nrPages() {
        return buffer.getLong(base + NR_PAGES_OFFSET);
    }

    public StartInfo nrPages(long v) {
        buffer.putLong(base + NR_PAGES_OFFSET, v);
        return this;
    }

    /** Machine address of the shared_info page. */
    public long sharedInfo() {
        return buffer.getLong(base + SHARED_INFO_OFFSET);
    }

    public StartInfo sharedInfo(long v) {
        buffer.putLong(base + SHARED_INFO_OFFSET, v);
        return this;
    }

    /** SIF_* flags, unsigned. */
    public long flags() {
        return Layouts.u32(buffer.getInt(base + FLAGS_OFFSET));
    }

    public StartInfo flags(long v) {
        buffer.putInt(base + FLAGS_OFFSET, (int) v);
        return this;
    }

    public long storeMfn() {
        return buffer.getLong(base + STORE_MFN_OFFSET);
    }

    public StartInfo storeMfn(long v) {
        buffer.putLong(base + STORE_MFN_OFFSET, v);
        return this;
    }

    public long storeEvtchn() {
        return Layouts.u32(buffer.getInt(base + STORE_EVTCHN_OFFSET));
    }

    public StartInfo storeEvtchn(long v) {
        buffer.putInt(base + STORE_EVTCHN_OFFSET, (int) v);
        return this;
    }

    /** {@code console.domU.mfn}. */
    public long consoleMfn() {
        return buffer.getLong(base + CONSOLE_MFN_OFFSET);
    }

    public StartInfo consoleMfn(long v) {
        buffer.putLong(base + CONSOLE_MFN_OFFSET, v);
        return this;
    }

    /** {@code console.domU.evtchn}. */
    public long consoleEvtchn() {
        return Layouts.u32(buffer.getInt(base + CONSOLE_EVTCHN_OFFSET));
    }

    public StartInfo consoleEvtchn(long v) {
        buffer.putInt(base + CONSOLE_EVTCHN_OFFSET, (int) v);
        return this;
    }

    /** {@code console.dom0.info_off} (the initial domain's view of the same bytes). */
    public long consoleInfoOff() {
        return Layouts.u32(buffer.getInt(base + CONSOLE_INFO_OFF_OFFSET));
    }

    public StartInfo consoleInfoOff(long v) {
        buffer.putInt(base + CONSOLE_INFO_OFF_OFFSET, (int) v);
        return this;
    }

    /** {@code console.dom0.info_size}. */
    public long consoleInfoSize() {
        return Layouts.u32(buffer.getInt(base + CONSOLE_INFO_SIZE_OFFSET));
    }

    public StartInfo consoleInfoSize(long v) {
        buffer.putInt(base + CONSOLE_INFO_SIZE_OFFSET, (int) v);
        return this;
    }

    public long ptBase() {
        return buffer.getLong(base + PT_BASE_OFFSET);
    }

    public StartInfo ptBase(long v) {
        buffer.putLong(base + PT_BASE_OFFSET, v);
        return this;
    }

    public long nrPtFrames() {
        return buffer.getLong(base + NR_PT_FRAMES_OFFSET);
    }

    public StartInfo nrPtFrames(long v) {
        buffer.putLong(base + NR_PT_FRAMES_OFFSET, v);
        return this;
    }

    public long mfnList() {
        return buffer.getLong(base + MFN_LIST_OFFSET);
    }

    public StartInfo mfnList(long v) {
        buffer.putLong(base + MFN_LIST_OFFSET, v);
        return this;
    }

    public long modStart() {
        return buffer.getLong(base + MOD_START_OFFSET);
    }

    public StartInfo modStart(long v) {
        buffer.putLong(base + MOD_START_OFFSET, v);
        return this;
    }

    public long modLen() {
        return buffer.getLong(base + MOD_LEN_OFFSET);
    }

    public StartInfo modLen(long v) {
        buffer.putLong(base + MOD_LEN_OFFSET, v);
        return this;
    }

    /** The command line up to its NUL, decoded as ASCII (allocates: for boot and logs). */
    public String cmdLine() {
        return readString(CMD_LINE_OFFSET, Sif.MAX_GUEST_CMDLINE);
    }

    /**
     * Writes the command line and its NUL; the rest of the array is zeroed.
     *
     * @throws IllegalArgumentException if it is not ASCII or longer than 1023 bytes
     */
    public StartInfo cmdLine(String cmdLine) {
        writeString(CMD_LINE_OFFSET, Sif.MAX_GUEST_CMDLINE, cmdLine);
        return this;
    }

    public long firstP2mPfn() {
        return buffer.getLong(base + FIRST_P2M_PFN_OFFSET);
    }

    public StartInfo firstP2mPfn(long v) {
        buffer.putLong(base + FIRST_P2M_PFN_OFFSET, v);
        return this;
    }

    public long nrP2mFrames() {
        return buffer.getLong(base + NR_P2M_FRAMES_OFFSET);
    }

    public StartInfo nrP2mFrames(long v) {
        buffer.putLong(base + NR_P2M_FRAMES_OFFSET, v);
        return this;
    }

    /** Copies every field into an immutable value. */
    public Snapshot snapshot() {
        return new Snapshot(magic(), nrPages(), sharedInfo(), flags(), storeMfn(), storeEvtchn(),
                consoleMfn(), consoleEvtchn(), ptBase(), nrPtFrames(), mfnList(), modStart(), modLen(),
                cmdLine(), firstP2mPfn(), nrP2mFrames());
    }

    /** Clears the structure and writes every field of {@code v}. */
    public StartInfo set(Snapshot v) {
        clear();
        return magic(v.magic()).nrPages(v.nrPages()).sharedInfo(v.sharedInfo()).flags(v.flags())
                .storeMfn(v.storeMfn()).storeEvtchn(v.storeEvtchn())
                .consoleMfn(v.consoleMfn()).consoleEvtchn(v.consoleEvtchn())
                .ptBase(v.ptBase()).nrPtFrames(v.nrPtFrames()).mfnList(v.mfnList())
                .modStart(v.modStart()).modLen(v.modLen()).cmdLine(v.cmdLine())
                .firstP2mPfn(v.firstP2mPfn()).nrP2mFrames(v.nrP2mFrames());
    }

    /**
     * An immutable copy of a domU {@code start_info}, for logs, tests and the domain builder.
     * Unsigned 32-bit fields are widened into {@code long}.
     */
    public record Snapshot(String magic, long nrPages, long sharedInfo, long flags, long storeMfn,
            long storeEvtchn, long consoleMfn, long consoleEvtchn, long ptBase, long nrPtFrames,
            long mfnList, long modStart, long modLen, String cmdLine, long firstP2mPfn,
            long nrP2mFrames) {
    }

    private String readString(long fieldOffset, int capacity) {
        long start = base + fieldOffset;
        int length = 0;
        while (length < capacity && buffer.getByte(start + length) != 0) {
            length++;
        }
        byte[] bytes = new byte[length];
        buffer.getBytes(start, MemorySegment.ofArray(bytes), 0, length);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private void writeString(long fieldOffset, int capacity, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length >= capacity || !new String(bytes, StandardCharsets.US_ASCII).equals(value)) {
            throw new IllegalArgumentException(
                    "needs at most " + (capacity - 1) + " ASCII characters: " + value.length());
        }
        long start = base + fieldOffset;
        buffer.setMemory(start, capacity, (byte) 0);
        buffer.putBytes(start, MemorySegment.ofArray(bytes), 0, bytes.length);
    }
}
