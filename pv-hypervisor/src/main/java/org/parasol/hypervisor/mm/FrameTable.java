package org.parasol.hypervisor.mm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.locks.ReentrantLock;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.abi.Mmu;

/**
 * Xen's frame table: one {@code struct page_info} per machine frame, plus the free pool and the
 * machine-to-phys (M2P) table.
 *
 * <p>Sparse: the state of frames is kept in chunks of 512 (2 MiB, one page of the M2P table),
 * parallel arrays made when a frame of the chunk is first allocated and dropped when a domain's
 * release leaves every frame of it free. A chunk that does not exist reads as free frames, so
 * machine memory nobody allocated costs a bit per frame (the free pool) and no M2P page. A
 * 2 MiB extent stays one small uniform object until a frame of it changes; then each block of
 * {@link #BLOCK_FRAMES} frames is either uniform (the extent's state, or "mapped at start of
 * day", which the builder's mapping leaves on data pages) or holds per-frame arrays,
 * {@link #BLOCK_BYTES} of heap, 32 bytes a frame as Xen's {@code page_info}, made when a frame
 * of it first departs from its block's state. The free pool is a bitmap: the lowest free frame, or the
 * lowest free naturally aligned run for {@link #allocateExtent}, goes first.
 *
 * <p>Per frame:
 * <ul>
 *   <li><b>owner</b> — the domain that owns it, {@link DomId#DOMID_XEN} for hypervisor pages, or
 *       {@link DomId#DOMID_INVALID} while it is free. A hypervisor page may be <em>shared</em> with
 *       one domain (shared_info, grant-table frames), which may then map it.</li>
 *   <li><b>count_info</b> — the total reference count, plus the {@code PGC_allocated} flag
 *       that stands for the owner's allocation reference. When the count reaches 0 the frame
 *       is zeroed, its owner's {@code tot_pages} drops and it returns to the free pool.</li>
 *   <li><b>type_info</b> — one 64-bit word changed only by compare-and-swap:
 *       <pre>
 *  63   61 60 59 58            32 31                     0
 * +-------+--+--+----------------+------------------------+
 * | type  |V |P |   (reserved)   |       type count       |
 * +-------+--+--+----------------+------------------------+
 *  type: PGT_none 0, l1 1, l2 2, l3 3, l4 4, seg_desc 5, shared 6, writable 7
 *  V: PGT_validated    P: PGT_pinned
 *       </pre>
 *       A frame changes type only while its type count is 0 (Xen's rule that keeps a page
 *       table from ever being mapped writable).</li>
 *   <li><b>M2P</b> — the pseudo-physical frame the owner placed it at, or
 *       {@link #INVALID_M2P_ENTRY}.</li>
 * </ul>
 *
 * <p>MFN 0 is kept by the hypervisor (owner {@code DOMID_XEN}, shared with nobody) and never
 * allocated, so a zeroed page-table entry with only its present bit forced on reaches nothing a
 * guest may map.
 *
 * <p>Thread safety: all methods may be called from any thread. Owner, counts and types are
 * read with acquire and changed with release or compare-and-swap; the free pool and the chunk
 * directory are guarded by a lock that is held only to take or give back one frame or run.
 */
public final class FrameTable {
    /** {@code INVALID_M2P_ENTRY}: {@code ~0} as an unsigned 32-bit PFN. */
    public static final int INVALID_M2P_ENTRY = ~0;

    /** Page type: none (free or never typed). */
    public static final int PGT_NONE = 0;
    /** Page type: L1 page table. */
    public static final int PGT_L1_PAGE_TABLE = 1;
    /** Page type: L2 page table. */
    public static final int PGT_L2_PAGE_TABLE = 2;
    /** Page type: L3 page table. */
    public static final int PGT_L3_PAGE_TABLE = 3;
    /** Page type: L4 page table. */
    public static final int PGT_L4_PAGE_TABLE = 4;
    /** Page type: GDT/LDT descriptor page. */
    public static final int PGT_SEG_DESC_PAGE = 5;
    /** Page type: shared with another domain through a grant. */
    public static final int PGT_SHARED_PAGE = 6;
    /** Page type: mapped writable somewhere. */
    public static final int PGT_WRITABLE_PAGE = 7;

    /** Bit position of the type in a type_info word. */
    public static final int PGT_TYPE_SHIFT = 61;
    /** The type field of a type_info word. */
    public static final long PGT_TYPE_MASK = 7L << PGT_TYPE_SHIFT;
    /** The frame's contents were validated for its (page-table) type. */
    public static final long PGT_VALIDATED = 1L << 60;
    /** The guest pinned the frame's type (MMUEXT_PIN_Ln_TABLE); the pin holds one type reference. */
    public static final long PGT_PINNED = 1L << 59;
    /** The type count of a type_info word. */
    public static final long PGT_COUNT_MASK = (1L << 32) - 1;

    /** count_info flag: the owner's allocation reference is held. */
    private static final long PGC_ALLOCATED = 1L << 63;
    private static final long PGC_COUNT_MASK = (1L << 32) - 1;

    private static final ValueLayout.OfLong PTE_LAYOUT =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle CHUNKS = MethodHandles.arrayElementVarHandle(Chunk[].class);
    private static final VarHandle OWNER = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle SHARED_WITH = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle COUNT_INFO = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle TYPE_INFO = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle M2P = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle P2M_BITS = MethodHandles.arrayElementVarHandle(long[].class);

    /** log2 of the frames one chunk of per-frame state describes: 512, one M2P page, 2 MiB. */
    static final int CHUNK_SHIFT = 9;
    /** Frames per chunk. */
    static final int CHUNK_FRAMES = 1 << CHUNK_SHIFT;
    private static final int CHUNK_MASK = CHUNK_FRAMES - 1;
    /** Free-pool bitmap words per chunk. */
    private static final int CHUNK_WORDS = CHUNK_FRAMES / 64;

    /** log2 of the frames one block of per-frame arrays describes: 64, the unit of detail. */
    static final int BLOCK_SHIFT = 6;
    /** Frames per block. */
    public static final int BLOCK_FRAMES = 1 << BLOCK_SHIFT;
    private static final int BLOCK_MASK = BLOCK_FRAMES - 1;
    /** Blocks per chunk. */
    private static final int BLOCKS = CHUNK_FRAMES / BLOCK_FRAMES;

    /**
     * The {@code struct page_info} of {@link #BLOCK_FRAMES} consecutive frames, as parallel
     * arrays indexed by {@code mfn & BLOCK_MASK}.
     */
    private static final class Block {
        final int[] owner = new int[BLOCK_FRAMES];
        final int[] sharedWith = new int[BLOCK_FRAMES];
        final long[] countInfo = new long[BLOCK_FRAMES];
        final long[] typeInfo = new long[BLOCK_FRAMES];
        final int[] m2p = new int[BLOCK_FRAMES];
        /** Accounting of each domain-owned frame's owner; written before the owner is published. */
        final DomainPages[] ownerPages = new DomainPages[BLOCK_FRAMES];

        /** Block {@code b} of {@code f}, every frame in state {@code u}: what a uniform block reads as. */
        Block(Frames f, int b, Uniform u) {
            java.util.Arrays.fill(sharedWith, DomId.DOMID_INVALID);
            java.util.Arrays.fill(countInfo, u.countInfo);
            java.util.Arrays.fill(typeInfo, u.typeInfo);
            if (u.owned) {
                java.util.Arrays.fill(ownerPages, f.pages);
                java.util.Arrays.fill(owner, f.owner);
            } else {
                java.util.Arrays.fill(owner, DomId.DOMID_INVALID);
            }
            for (int k = 0; k < BLOCK_FRAMES; k++) {
                m2p[k] = Frames.uniformM2p(f, u, (b << BLOCK_SHIFT) + k);
            }
        }
    }

    /**
     * The state every frame of a block without arrays is in. Immutable; a block changes from
     * one to another, or to a {@link Block}, only by compare-and-swap of its slot.
     */
    private static final class Uniform {
        final long countInfo;
        final long typeInfo;
        /** Whether the frames are the chunk's owner's (with its M2P run), or free. */
        final boolean owned;

        Uniform(long countInfo, long typeInfo, boolean owned) {
            this.countInfo = countInfo;
            this.typeInfo = typeInfo;
            this.owned = owned;
        }
    }

    /** Free: no owner, no reference, no type, M2P invalid. */
    private static final Uniform FREE = new Uniform(0L, 0L, false);
    /** Allocated: the owner's allocation reference only (what an extent allocation leaves). */
    private static final Uniform ALLOCATED = new Uniform(PGC_ALLOCATED | 1L, 0L, true);
    /**
     * Mapped at start of day: the allocation reference and one writable mapping's (a general
     * reference and a writable type reference of count 1, validated) — what the builder's
     * read-write start-of-day mapping leaves on every data page.
     */
    private static final Uniform MAPPED = new Uniform(PGC_ALLOCATED | 2L,
            ((long) PGT_WRITABLE_PAGE << PGT_TYPE_SHIFT) | PGT_VALIDATED | 1L, true);

    /**
     * The per-frame state of a chunk that departed from the extent's uniform state: one slot per
     * {@link #BLOCK_FRAMES} frames holding either a {@link Uniform} (every frame of the block
     * in that state, with {@link #owner} and the M2P run from {@link #m2pBase}) or a
     * {@link Block} of arrays, made from the uniform state the first time a frame of the block
     * departs from it. A chunk whose frames were only mapped at start of day so costs this
     * object and its slots, and arrays only for the blocks holding page tables, start_info and
     * the frames the guest referenced or retyped since.
     */
    private static final class Frames {
        final int owner;
        final DomainPages pages;
        /** The PFN of the chunk's first frame in the M2P table for uniform blocks, or -1 for none. */
        final long m2pBase;
        /** Per block, a {@link Uniform} or a {@link Block}; through {@link #BLOCK}. */
        final Object[] blocks = new Object[BLOCKS];

        Frames(int owner, DomainPages pages, long m2pBase, Uniform u) {
            this.owner = owner;
            this.pages = pages;
            this.m2pBase = m2pBase;
            java.util.Arrays.fill(blocks, u);
        }

        /** The M2P entry of frame {@code k} of the chunk while its block is uniform {@code u}. */
        static int uniformM2p(Frames f, Uniform u, int k) {
            return !u.owned || f.m2pBase < 0 ? INVALID_M2P_ENTRY : (int) (f.m2pBase + k);
        }
    }

    private static final VarHandle BLOCK = MethodHandles.arrayElementVarHandle(Object[].class);

    /** The frames of a chunk a domain's release took whole: all free, never written. */
    private static final Frames DEAD = new Frames(DomId.DOMID_INVALID, null, -1, FREE);

    /**
     * The state of {@link #CHUNK_FRAMES} consecutive frames. A chunk exists only while one of
     * its frames is allocated (or was, until a release finds them all free): a chunk that does
     * not exist reads as every frame free, untyped, unreferenced, M2P invalid. It is either
     * <ul>
     *   <li><b>detailed</b>: {@link #frames} holds every frame's state, per block of
     *       {@link #BLOCK_FRAMES} frames either uniform or in arrays; or</li>
     *   <li><b>uniform</b>: {@link #frames} is null, and every frame is in the state an extent
     *       allocation leaves it in — owned by {@link #uniformOwner}, only its allocation
     *       reference, no type, M2P entry {@link #uniformM2pBase} + its index (or invalid). A
     *       2 MiB extent is made so, and stays so until one of its frames is referenced,
     *       typed, freed or given a PFN out of line: then the first writer makes its
     *       {@link Frames} from the uniform state and publishes it by compare-and-swap
     *       ({@code inflate}), and every write goes there; or</li>
     *   <li><b>dead</b>: {@link #frames} is {@link #DEAD}: a release took the uniform chunk
     *       whole (the compare-and-swap from null that no inflation won), so all its frames are
     *       free, until the chunk leaves the directory.</li>
     * </ul>
     * A domain that touches ten pages of 4 GiB so costs 2,048 uniform chunks (a few dozen
     * bytes each) and a few detailed ones, not 32 MiB of per-frame arrays; an idle 2 MiB
     * domain, whose every frame its start of day maps, costs one chunk whose blocks are
     * {@link #MAPPED} but for the one holding its page tables.
     */
    private static final class Chunk {
        @SuppressWarnings("unused") // through FRAMES
        volatile Frames frames;
        final int uniformOwner;
        final DomainPages uniformPages;
        /** The PFN of the chunk's first frame in the M2P table, or -1 for none. Uniform chunks only. */
        volatile long uniformM2pBase = -1;
        /**
         * Bit {@code k & 63} of word {@code k >>> 6} set while frame {@code k} of the chunk is a
         * page of its owner's P2M list not yet written ({@link LazyP2m}); null while none is.
         * Set once at build; a bit is cleared under the list's monitor.
         */
        volatile long[] p2mUnwritten;

        /** A detailed chunk, every frame free. */
        Chunk() {
            this.frames = new Frames(DomId.DOMID_INVALID, null, -1, FREE);
            this.uniformOwner = DomId.DOMID_INVALID;
            this.uniformPages = null;
        }

        /** A uniform chunk of {@code pages}'s domain. */
        Chunk(DomainPages pages) {
            this.uniformOwner = pages.domid();
            this.uniformPages = pages;
        }
    }

    private static final VarHandle FRAMES;

    static {
        try {
            FRAMES = MethodHandles.lookup().findVarHandle(Chunk.class, "frames", Frames.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Heap bytes of a chunk's arrays were every block detailed (headers aside): what a frame's state costs, times 512. */
    public static final long CHUNK_BYTES = CHUNK_FRAMES * (4L + 4 + 8 + 8 + 4 + 4);

    private final MachineMemory memory;
    private final int frames;
    /** The chunks by {@code mfn >>> CHUNK_SHIFT}; null where none exists. Written under freeLock. */
    private final Chunk[] chunks;
    /** How many chunks exist. Guarded by freeLock. */
    private int liveChunks;

    private final ReentrantLock freeLock = new ReentrantLock();

    /** Whether no thread holds the free-list lock: for tests that check nothing was left held. */
    public boolean lockFree() {
        return !freeLock.isLocked();
    }

    /** First MFN of the M2P table's own frames, -1 until reserved; written once. */
    private volatile long m2pBase = -1;
    private int m2pFrames;
    /**
     * Per page of the M2P table (one per chunk): {@link #M2P_PAGE_HOLE} until a guest first
     * reads it, {@link #M2P_PAGE_FILLING} while it is written from the frame state, then
     * {@link #M2P_PAGE_LIVE} for good, when every M2P change is written through to it. A
     * domain's build so writes no M2P page; only the pages guests read get machine memory.
     */
    private final byte[] m2pPageState;
    private static final byte M2P_PAGE_HOLE = 0;
    private static final byte M2P_PAGE_FILLING = 1;
    private static final byte M2P_PAGE_LIVE = 2;
    private static final VarHandle M2P_PAGE = MethodHandles.arrayElementVarHandle(byte[].class);
    /**
     * The free pool: bit {@code mfn & 63} of word {@code mfn >>> 6} is set while the frame is
     * free. Allocation takes the lowest free frame (or the lowest free naturally aligned run),
     * so memory is used from the bottom up. Guarded by freeLock.
     */
    private final long[] freeBits;
    /** No word below this one has a free frame. Guarded by freeLock. */
    private int freeHint;
    private volatile long freeCount;

    /**
     * Builds the frame table of {@code memory}: every frame but MFN 0 free, no types, no M2P
     * entries. Costs a bit per frame (the free pool) and a reference per 512 frames; the
     * state of a frame is made when its chunk is first allocated from.
     *
     * @throws IllegalArgumentException if memory has more frames than a Java array can index
     */
    public FrameTable(MachineMemory memory) {
        long count = memory.frameCount();
        if (count > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("too many frames for one frame table: " + count);
        }
        this.memory = memory;
        this.frames = (int) count;
        this.chunks = new Chunk[(frames + CHUNK_FRAMES - 1) >>> CHUNK_SHIFT];
        this.m2pPageState = new byte[chunks.length];
        this.freeBits = new long[(frames + 63) >>> 6];
        for (int w = 0; w < freeBits.length; w++) {
            int left = frames - (w << 6);
            freeBits[w] = left >= 64 ? -1L : (1L << left) - 1;
        }
        freeBits[0] &= ~1L; // MFN 0 is the hypervisor's
        freeCount = frames - 1;
        materialize(0);
        Block first = writable(0);
        first.owner[0] = DomId.DOMID_XEN;
        first.countInfo[0] = 1;
        VarHandle.releaseFence();
    }

    /**
     * How many chunks hold per-frame arrays for at least one block rather than a uniform state
     * throughout: a scan of the chunk directory, for tests and measurements.
     */
    public int detailedChunks() {
        int n = 0;
        for (int c = 0; c < chunks.length; c++) {
            if (blocksWithArrays(c) > 0) {
                n++;
            }
        }
        return n;
    }

    /**
     * How many blocks of {@link #BLOCK_FRAMES} frames hold per-frame arrays (32 bytes a frame,
     * {@link #BLOCK_BYTES} a block): a scan of the chunk directory, for tests and measurements.
     */
    public int detailedBlocks() {
        int n = 0;
        for (int c = 0; c < chunks.length; c++) {
            n += blocksWithArrays(c);
        }
        return n;
    }

    /** Heap bytes of one block's arrays (headers aside). */
    public static final long BLOCK_BYTES = CHUNK_BYTES / BLOCKS;

    private int blocksWithArrays(int c) {
        Chunk chunk = (Chunk) CHUNKS.getAcquire(chunks, c);
        Frames f = chunk == null ? null : framesOf(chunk);
        if (f == null || f == DEAD) {
            return 0;
        }
        int n = 0;
        for (int b = 0; b < BLOCKS; b++) {
            if (BLOCK.getAcquire(f.blocks, b) instanceof Block) {
                n++;
            }
        }
        return n;
    }

    /**
     * How many chunks of per-frame state exist: each describes {@link #CHUNK_FRAMES} frames
     * and holds {@link #CHUNK_BYTES} bytes of heap.
     */
    public int chunks() {
        freeLock.lock();
        try {
            return liveChunks;
        } finally {
            freeLock.unlock();
        }
    }

    /** The machine memory these frames describe. */
    public MachineMemory memory() {
        return memory;
    }

    /** The number of machine frames. */
    public long frameCount() {
        return frames;
    }

    /** The number of frames in the free pool. */
    public long freeFrames() {
        return freeCount;
    }

    // ---------------------------------------------------------------------------------------
    // Ownership and allocation
    // ---------------------------------------------------------------------------------------

    /**
     * The owner of {@code mfn}: a domain id, {@link DomId#DOMID_XEN} or, for a free frame,
     * {@link DomId#DOMID_INVALID}. An MFN outside machine memory also answers {@code DOMID_INVALID}.
     */
    public int owner(long mfn) {
        if (!valid(mfn)) {
            return DomId.DOMID_INVALID;
        }
        return ownerOf((int) mfn);
    }

    /** The domain a hypervisor page is shared with, or {@link DomId#DOMID_INVALID}. */
    public int sharedWith(long mfn) {
        if (!valid(mfn)) {
            return DomId.DOMID_INVALID;
        }
        return sharedWithOf((int) mfn);
    }

    /**
     * Allocates a zeroed frame to the domain ({@code alloc_domheap_page}): owner
     * {@code pages.domid()}, one reference (the allocation reference, {@code PGC_allocated}),
     * no type, no M2P entry, counted in {@code tot_pages}.
     *
     * @return the MFN, or -1 if the free pool is empty or the domain is at {@code max_pages}
     */
    public long allocate(DomainPages pages) {
        if (!pages.charge()) {
            return -1;
        }
        int mfn = popFree(0, null);
        if (mfn < 0) {
            pages.uncharge();
            return -1;
        }
        own(mfn, 1, pages, pages.domid(), DomId.DOMID_INVALID);
        return mfn;
    }

    /**
     * Allocates {@code 2^order} machine-contiguous frames, naturally aligned, to the domain
     * ({@code alloc_domheap_pages(d, order)}): each as {@link #allocate} leaves it. The cost
     * is one lock and a few array fills per 512 frames, not a call per frame.
     *
     * @return the first MFN, or -1 if no free run of that size is left or the domain would go
     *     past {@code max_pages} (nothing is allocated then)
     * @throws IllegalArgumentException if {@code order} is outside 0..{@value #MAX_ORDER}
     */
    public long allocateExtent(DomainPages pages, int order) {
        if (order < 0 || order > MAX_ORDER) {
            throw new IllegalArgumentException("extent order out of range: " + order);
        }
        int n = 1 << order;
        if (!pages.charge(n)) {
            return -1;
        }
        int mfn = popFree(order, pages);
        if (mfn < 0) {
            pages.uncharge(n);
            return -1;
        }
        own(mfn, n, pages, pages.domid(), DomId.DOMID_INVALID);
        return mfn;
    }

    /** The largest extent order {@link #allocateExtent} takes (2^20 frames, 4 GiB: Xen's {@code MAX_ORDER}). */
    public static final int MAX_ORDER = 20;

    /**
     * Gives the free frames {@code first .. first+n-1}, just taken from the pool, their owner:
     * one allocation reference each, no type, the M2P entry invalid (as every free frame's
     * is), the owner published last.
     */
    private void own(int first, int n, DomainPages pages, int ownerDomid, int sharedWithDomid) {
        noteChunks(ownerDomid == DomId.DOMID_XEN ? sharedWithDomid : ownerDomid, first >>> CHUNK_SHIFT,
                (first + n - 1) >>> CHUNK_SHIFT);
        for (int mfn = first; mfn < first + n; ) {
            Chunk chunk = chunk(mfn);
            int from = mfn & CHUNK_MASK;
            int to = Math.min(CHUNK_FRAMES, from + (first + n - mfn));
            if (chunk.frames == null) {
                mfn += to - from; // a uniform chunk, made in this state by popFree
                continue;
            }
            for (int k = from; k < to; ) {
                Block c = writable(mfn);
                int bFrom = k & BLOCK_MASK;
                int bTo = Math.min(BLOCK_FRAMES, bFrom + (to - k));
                java.util.Arrays.fill(c.ownerPages, bFrom, bTo, pages);
                java.util.Arrays.fill(c.sharedWith, bFrom, bTo, sharedWithDomid);
                java.util.Arrays.fill(c.typeInfo, bFrom, bTo, 0L);
                java.util.Arrays.fill(c.countInfo, bFrom, bTo, PGC_ALLOCATED | 1L);
                // Whoever reads the owner with acquire sees the rest.
                VarHandle.releaseFence();
                java.util.Arrays.fill(c.owner, bFrom, bTo, ownerDomid);
                k += bTo - bFrom;
                mfn += bTo - bFrom;
            }
        }
        VarHandle.releaseFence();
    }

    /**
     * Allocates a zeroed hypervisor page ({@code alloc_xenheap_page}) and shares it with
     * domain {@code sharedWithDomid} ({@code share_xen_page_with_guest}): owner
     * {@link DomId#DOMID_XEN}, one allocation reference held by the hypervisor, not counted in the
     * domain's {@code tot_pages}. The domain may map it ({@link #mayMap}) but not free it; it
     * is freed when {@link #releaseDomain} drops the allocation reference.
     *
     * @return the MFN, or -1 if the free pool is empty
     * @throws IllegalArgumentException if {@code sharedWithDomid} is not a domain id
     */
    public long allocateShared(int sharedWithDomid) {
        if (sharedWithDomid < 0 || sharedWithDomid >= DomId.DOMID_FIRST_RESERVED) {
            throw new IllegalArgumentException("not a domain id: " + sharedWithDomid);
        }
        int mfn = popFree(0, null);
        if (mfn < 0) {
            return -1;
        }
        own(mfn, 1, null, DomId.DOMID_XEN, sharedWithDomid);
        return mfn;
    }

    /**
     * Whether domain {@code domid} may map frame {@code mfn}: it owns the frame, or the frame
     * is a hypervisor page shared with it. Free frames, other domains' frames, unshared
     * hypervisor pages and MFNs outside machine memory answer false.
     */
    public boolean mayMap(int domid, long mfn) {
        if (!valid(mfn) || domid < 0 || domid >= DomId.DOMID_FIRST_RESERVED) {
            return false;
        }
        int o = ownerOf((int) mfn);
        if (o == domid) {
            return true;
        }
        return o == DomId.DOMID_XEN && sharedWithOf((int) mfn) == domid;
    }

    /** The number of frames domain {@code domid} owns (a scan; for tests and reclamation checks). */
    public long ownedBy(int domid) {
        long n = 0;
        for (int mfn = 0; mfn < frames; mfn = nextWithState(mfn)) {
            if (ownerOf(mfn) == domid) {
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------------------------------
    // Reference counts (count_info)
    // ---------------------------------------------------------------------------------------

    /** The total reference count of {@code mfn}; 0 for a free frame. */
    public int refCount(long mfn) {
        checkMfn(mfn);
        return (int) (countOf((int) mfn) & PGC_COUNT_MASK);
    }

    /**
     * Takes a general reference on {@code mfn} for domain {@code domid} ({@code get_page}):
     * succeeds only if the frame is allocated and {@code domid} may map it.
     *
     * @return whether the reference was taken
     */
    public boolean getPage(long mfn, int domid) {
        if (!valid(mfn)) {
            return false;
        }
        int i = (int) mfn;
        for (;;) {
            long x = countOf(i);
            long count = x & PGC_COUNT_MASK;
            if (count == 0 || count == PGC_COUNT_MASK || !mayMap(domid, mfn)) {
                return false;
            }
            if (casCount(i, x, x + 1)) {
                break;
            }
        }
        // The frame may have been freed and handed to someone else between the owner check and
        // the increment; check again now that our reference pins it.
        if (!mayMap(domid, mfn)) {
            putPage(mfn);
            return false;
        }
        ensureP2mWritten(mfn); // whoever references a page of a P2M list sees it written
        return true;
    }

    /**
     * Drops a general reference on {@code mfn} ({@code put_page}). The last one frees the frame:
     * it is zeroed, loses owner, type and M2P entry, its owner's {@code tot_pages} drops, and
     * it returns to the free pool.
     *
     * @throws IllegalStateException if the frame holds no reference (a hypervisor bug)
     */
    public void putPage(long mfn) {
        checkMfn(mfn);
        int i = (int) mfn;
        long nx;
        for (;;) {
            long x = countOf(i);
            if ((x & PGC_COUNT_MASK) == 0) {
                throw new IllegalStateException("put_page on unreferenced mfn " + mfn);
            }
            nx = x - 1;
            if ((nx & PGC_COUNT_MASK) == 0) {
                nx = 0;
            }
            if (casCount(i, x, nx)) {
                break;
            }
        }
        if (nx == 0) {
            freeFrame(i);
        }
    }

    /**
     * Drops the owner's allocation reference on {@code mfn} if it is still held
     * ({@code put_page_alloc_ref}, as {@code XENMEM_decrease_reservation} and domain
     * destruction do). The frame is freed once no other reference remains.
     *
     * @return whether the allocation reference was held
     */
    public boolean putPageAllocRef(long mfn) {
        checkMfn(mfn);
        return putPageAllocRef((int) mfn, null);
    }

    /** As {@link #putPageAllocRef(long)}; a frame freed goes to {@code batch} when there is one. */
    private boolean putPageAllocRef(int i, FreeBatch batch) {
        long nx;
        for (;;) {
            long x = countOf(i);
            if ((x & PGC_ALLOCATED) == 0) {
                return false;
            }
            nx = (x & ~PGC_ALLOCATED) - 1;
            if (casCount(i, x, nx)) {
                break;
            }
        }
        if ((nx & PGC_COUNT_MASK) == 0) {
            if (batch != null) {
                batch.add(i);
            } else {
                freeFrame(i);
            }
        }
        return true;
    }

    /**
     * Releases a dying domain's memory ({@code domain_relinquish_resources}), in Xen's order:
     * unpins its pinned tables, force-devalidates the page tables still validated (dropping the
     * references their entries hold), then drops the allocation reference of every frame it
     * owns and of every hypervisor page shared with it. Frames nobody else references are freed
     * at once. The vCPUs should have dropped their CR3 references first.
     *
     * @return how many of those frames are still referenced by others and so not yet free
     */
    public long releaseDomain(DomainPages pages) {
        int domid = pages.domid();
        // Only the chunks the domain was ever given a frame in can hold one of its frames, so a
        // release costs the domain's chunks, not the host's. Chunks without detail are skipped
        // by the passes that look for types and pins.
        int[] mine = chunksOf(domid);
        // 1. Unpin: the pins held the top of every address space.
        for (int c : mine) {
            if (detailed(c)) {
                for (int mfn = firstOf(c), end = endOf(c); mfn < end; mfn++) {
                    if (serves(mfn, domid) && isPinned(typeInfo(mfn))) {
                        unpin(mfn);
                    }
                }
            }
        }
        // 2. Tables still validated are held by something else (a CR3 the vCPUs did not drop,
        //    or a cycle); devalidate them by force so the references they hold go.
        for (int c : mine) {
            if (!detailed(c)) {
                continue;
            }
            for (int mfn = firstOf(c), end = endOf(c); mfn < end; mfn++) {
                if (!serves(mfn, domid)) {
                    continue;
                }
                for (;;) {
                    long x = typeInfo(mfn);
                    if (!isPageTableType(pageType(x)) || !isValidated(x)) {
                        break;
                    }
                    if (casTypeInfo(mfn, x, x & ~PGT_VALIDATED)) {
                        freePageTable(mfn, pageType(x));
                        break;
                    }
                }
            }
        }
        // 3. The allocation references. The frames freed here are scrubbed a run at a time by
        //    punching holes (the host gets the memory back, and a frame the guest never
        //    touched is not touched now); then they join the pool.
        //    A uniform chunk of the domain (frames nobody referenced or typed) goes whole, by
        //    one compare-and-swap that no inflation may win.
        FreeBatch batch = new FreeBatch(pages);
        for (int c : mine) {
            Chunk chunk = chunk(c << CHUNK_SHIFT);
            if (chunk == null) {
                continue;
            }
            Frames f = framesOf(chunk);
            if (f == DEAD || f == null && chunk.uniformOwner != domid) {
                continue;
            }
            if (f == null && FRAMES.compareAndSet(chunk, (Frames) null, DEAD)) {
                batch.addDead(c, chunk.uniformPages);
                continue;
            }
            for (int mfn = firstOf(c), end = endOf(c); mfn < end; mfn++) {
                if (serves(mfn, domid)) {
                    putPageAllocRef(mfn, batch);
                }
            }
        }
        batch.release();
        long still = 0;
        for (int c : mine) {
            for (int mfn = firstOf(c), end = endOf(c); mfn < end; mfn++) {
                if (chunk(mfn) == null) {
                    break;
                }
                if (serves(mfn, domid)) {
                    still++;
                }
            }
        }
        if (still == 0) {
            forgetChunks(domid, mine);
        }
        return still;
    }

    // ---------------------------------------------------------------- each domain's chunks

    /**
     * Per domain id, the chunks in which it was given a frame (owned, or a hypervisor page shared
     * with it), ascending: {@code [0]} is the count, then the chunk indices. A domain's frames
     * can only be there, so its release and its P2M read-back scan them and not the host. An
     * entry may outlive the domain's frames in that chunk (the scans check each frame's owner);
     * a complete release forgets them. Guarded by itself.
     */
    private final int[][] domainChunks = new int[DomId.DOMID_FIRST_RESERVED][];

    /** Notes that {@code domid} has frames in chunks {@code lo..hi}. */
    private void noteChunks(int domid, int lo, int hi) {
        if (domid < 0 || domid >= DomId.DOMID_FIRST_RESERVED) {
            return;
        }
        synchronized (domainChunks) {
            int[] list = domainChunks[domid];
            if (list == null) {
                list = new int[Math.max(4, Math.min(hi - lo + 2, 1 << 16))];
            }
            for (int c = lo; c <= hi; c++) {
                int n = list[0];
                int pos; // where c goes, 1-based
                if (n == 0 || list[n] < c) {
                    pos = n + 1; // the usual case: the pool hands out frames from the bottom up
                } else {
                    int r = java.util.Arrays.binarySearch(list, 1, n + 1, c);
                    if (r >= 0) {
                        continue; // noted before
                    }
                    pos = -(r + 1);
                }
                if (n + 1 >= list.length) {
                    list = java.util.Arrays.copyOf(list, list.length * 2);
                }
                System.arraycopy(list, pos, list, pos + 1, n + 1 - pos);
                list[pos] = c;
                list[0] = n + 1;
            }
            domainChunks[domid] = list;
        }
    }

    /** The chunks {@code domid} was given frames in, ascending (a copy). */
    private int[] chunksOf(int domid) {
        if (domid < 0 || domid >= DomId.DOMID_FIRST_RESERVED) {
            return new int[0];
        }
        synchronized (domainChunks) {
            int[] list = domainChunks[domid];
            return list == null ? new int[0] : java.util.Arrays.copyOfRange(list, 1, list[0] + 1);
        }
    }

    /** Forgets {@code seen}, the chunks a complete release of {@code domid} scanned (it may have been given more since). */
    private void forgetChunks(int domid, int[] seen) {
        synchronized (domainChunks) {
            int[] list = domainChunks[domid];
            if (list == null) {
                return;
            }
            int n = list[0];
            int kept = 0;
            for (int i = 1; i <= n; i++) {
                if (java.util.Arrays.binarySearch(seen, list[i]) < 0) {
                    list[++kept] = list[i];
                }
            }
            list[0] = kept;
            if (kept == 0) {
                domainChunks[domid] = null;
            }
        }
    }

    /** Whether chunk {@code c} exists with per-frame state (types and pins can only be there). */
    private boolean detailed(int c) {
        Chunk chunk = chunk(c << CHUNK_SHIFT);
        Frames f = chunk == null ? null : framesOf(chunk);
        return f != null && f != DEAD;
    }

    /** The first frame of chunk {@code c} (MFN 0 is the hypervisor's: never a domain's). */
    private static int firstOf(int c) {
        return Math.max(1, c << CHUNK_SHIFT);
    }

    /** The frame after chunk {@code c}'s last. */
    private int endOf(int c) {
        return (int) Math.min(frames, ((long) c + 1) << CHUNK_SHIFT);
    }

    /**
     * Reads a domain's P2M back from the M2P entries of the frames it owns, for a domctl build
     * ({@link BootstrapBuilder#populatedP2m}): {@code p2m[pfn] = mfn} for each frame owned by
     * {@code domid}, whose entries must be -1 on entry. A uniform chunk is 512 entries at once.
     *
     * @return how many frames were filled in, or -1 if a frame of the domain is not fresh (more
     *     than its allocation reference, or a type), has no PFN, a PFN outside {@code p2m}, or
     *     the PFN of another frame
     */
    public long fillP2m(int domid, long[] p2m) {
        long seen = 0;
        for (int c : chunksOf(domid)) { // only where the domain was given frames
            for (int mfn = c << CHUNK_SHIFT, end = endOf(c); mfn < end; mfn++) {
                if ((mfn & CHUNK_MASK) == 0) {
                    Chunk chunk = chunk(mfn);
                    long base = chunk == null ? -1 : chunk.uniformM2pBase;
                    if (chunk != null && chunk.uniformOwner == domid && framesOf(chunk) == null) {
                        if (base < 0 || base > p2m.length - CHUNK_FRAMES) {
                            return -1;
                        }
                        for (int k = 0; k < CHUNK_FRAMES; k++) {
                            if (p2m[(int) base + k] >= 0) {
                                return -1;
                            }
                            p2m[(int) base + k] = mfn + k;
                        }
                        // Inflated meanwhile? Then the frames are checked one by one after all.
                        if (framesOf(chunk) == null) {
                            seen += CHUNK_FRAMES;
                            mfn += CHUNK_FRAMES - 1;
                            continue;
                        }
                        for (int k = 0; k < CHUNK_FRAMES; k++) {
                            p2m[(int) base + k] = -1;
                        }
                    }
                }
                if (ownerOf(mfn) != domid) {
                    continue;
                }
                int pfn = m2pOf(mfn);
                if (pfn < 0 || pfn >= p2m.length || p2m[pfn] >= 0 || (countOf(mfn) & PGC_COUNT_MASK) != 1 || typeOf(mfn) != 0) {
                    return -1;
                }
                p2m[pfn] = mfn;
                seen++;
            }
        }
        return seen;
    }

    /** The frame after {@code mfn}, or the first of the next chunk with state if its chunk has none. */
    private int nextWithState(int mfn) {
        int next = mfn + 1;
        while (next < frames && chunk(next) == null) {
            next = ((next >>> CHUNK_SHIFT) + 1) << CHUNK_SHIFT;
        }
        return next;
    }

    private boolean serves(int mfn, int domid) {
        int o = ownerOf(mfn);
        return o == domid || (o == DomId.DOMID_XEN && sharedWithOf(mfn) == domid);
    }

    // ---------------------------------------------------------------------------------------
    // Types (type_info)
    // ---------------------------------------------------------------------------------------

    /** The type_info word of {@code mfn}. */
    public long typeInfo(long mfn) {
        checkMfn(mfn);
        return typeOf((int) mfn);
    }

    /** Compare-and-swap of the type_info word of {@code mfn}. */
    public boolean casTypeInfo(long mfn, long expected, long update) {
        checkMfn(mfn);
        return casType((int) mfn, expected, update);
    }

    /** Builds a type_info word. */
    public static long encodeTypeInfo(int type, boolean validated, boolean pinned, long count) {
        if (type < PGT_NONE || type > PGT_WRITABLE_PAGE) {
            throw new IllegalArgumentException("no such page type: " + type);
        }
        if (count < 0 || count > PGT_COUNT_MASK) {
            throw new IllegalArgumentException("type count out of range: " + count);
        }
        return ((long) type << PGT_TYPE_SHIFT) | (validated ? PGT_VALIDATED : 0)
                | (pinned ? PGT_PINNED : 0) | count;
    }

    /** The page type (PGT_*) of a type_info word. */
    public static int pageType(long typeInfo) {
        return (int) ((typeInfo & PGT_TYPE_MASK) >>> PGT_TYPE_SHIFT);
    }

    /** The type count of a type_info word. */
    public static long typeCount(long typeInfo) {
        return typeInfo & PGT_COUNT_MASK;
    }

    /** Whether a type_info word has {@code PGT_validated}. */
    public static boolean isValidated(long typeInfo) {
        return (typeInfo & PGT_VALIDATED) != 0;
    }

    /** Whether a type_info word has {@code PGT_pinned}. */
    public static boolean isPinned(long typeInfo) {
        return (typeInfo & PGT_PINNED) != 0;
    }

    /** Whether {@code type} is one of the page-table types L1..L4. */
    public static boolean isPageTableType(int type) {
        return type >= PGT_L1_PAGE_TABLE && type <= PGT_L4_PAGE_TABLE;
    }

    /**
     * Takes a type reference of {@code type} on {@code mfn} ({@code get_page_type}). Xen's rule:
     * a frame changes type only while its type count is 0; with a non-zero count the request
     * succeeds only for the frame's current type. A type change clears validated and pinned;
     * non-page-table types count as validated at once, page-table types stay unvalidated until
     * {@link #setValidated} (their contents are checked by the PV MMU).
     *
     * <p>The caller should hold a general reference on the frame. Making a type change safe
     * against stale TLB entries on other vCPUs is the caller's business.
     *
     * @return whether the type reference was taken
     * @throws IllegalArgumentException if {@code type} is {@code PGT_NONE} or not a type
     */
    public boolean getPageType(long mfn, int type) {
        if (type <= PGT_NONE || type > PGT_WRITABLE_PAGE) {
            throw new IllegalArgumentException("cannot take a reference of page type " + type);
        }
        checkMfn(mfn);
        ensureP2mWritten(mfn); // a table validated, or a page typed, from the bytes the build decided
        int i = (int) mfn;
        for (;;) {
            long x = typeOf(i);
            long count = x & PGT_COUNT_MASK;
            long nx;
            if (count == PGT_COUNT_MASK) {
                return false;
            }
            if (pageType(x) == type) {
                nx = x + 1;
            } else if (count == 0) {
                nx = encodeTypeInfo(type, !isPageTableType(type), false, 1);
            } else {
                return false;
            }
            if (casType(i, x, nx)) {
                return true;
            }
        }
    }

    /**
     * Drops a type reference on {@code mfn} ({@code put_page_type}). When the last reference of
     * a page-table type goes, the frame loses {@code PGT_validated} (Xen devalidates it), but
     * keeps its type until someone takes another; its owner's page-table generation moves
     * ({@link DomainPages#pageTableGeneration}), so shadows of it are dropped.
     *
     * @throws IllegalStateException if the type count is already 0 (a hypervisor bug)
     */
    public void putPageType(long mfn) {
        checkMfn(mfn);
        int i = (int) mfn;
        for (;;) {
            long x = typeOf(i);
            if ((x & PGT_COUNT_MASK) == 0) {
                throw new IllegalStateException("put_page_type on mfn " + mfn + " with type count 0");
            }
            long nx = x - 1;
            boolean devalidate = false;
            if ((nx & PGT_COUNT_MASK) == 0) {
                nx &= ~PGT_PINNED;
                if (isPageTableType(pageType(nx)) && isValidated(nx)) {
                    nx &= ~PGT_VALIDATED;
                    devalidate = true;
                }
            }
            if (casType(i, x, nx)) {
                if (devalidate) {
                    freePageTable(mfn, pageType(nx));
                    // No longer a page table: the guest may map it writable and write it as
                    // data unseen, so a shadow that mirrors it must drop it (deviation 34).
                    DomainPages owner = ownerPagesOf(i);
                    if (owner != null) {
                        owner.pageTablesChanged();
                    }
                }
                return;
            }
        }
    }

    /**
     * Devalidates a page table ({@code free_page_type}): drops the references its present
     * entries hold — a general reference on every frame they point at, plus the next-lower
     * table type for L2..L4 entries and the writable type for writable L1 entries. This mirrors
     * exactly what validation ({@link PageTables}) or {@link BootstrapBuilder} took: every
     * present entry of a validated table holds them, except the hypervisor-private L4 slots,
     * which hold nothing, and grant mappings ({@link PageTableEntry#GNTTAB}), whose
     * references their maptrack entry holds; both are skipped. The guards below only keep a hypervisor bug from
     * turning into an exception here.
     */
    private void freePageTable(long mfn, int type) {
        MemorySegment mem = memory.segment();
        long base = MachineMemory.maddr(mfn);
        for (int slot = 0; slot < PageTableEntry.ENTRIES; slot++) {
            if (type == PGT_L4_PAGE_TABLE && PageTables.isXenL4Slot(slot)) {
                continue;
            }
            long pte = mem.get(PTE_LAYOUT, base + 8L * slot);
            if ((pte & PageTableEntry.PRESENT) == 0 || (type == PGT_L1_PAGE_TABLE && (pte & PageTableEntry.GNTTAB) != 0)) {
                continue; // a grant mapping's references belong to its maptrack entry
            }
            long target = PageTableEntry.mfn(pte);
            if (!valid(target)) {
                continue;
            }
            int childType = type == PGT_L1_PAGE_TABLE
                    ? ((pte & PageTableEntry.RW) != 0 ? PGT_WRITABLE_PAGE : PGT_NONE)
                    : type - 1;
            if (childType != PGT_NONE) {
                long ti = typeInfo(target);
                if (pageType(ti) == childType && typeCount(ti) > 0) {
                    putPageType(target);
                }
            }
            if (refCount(target) > 0) {
                putPage(target);
            }
        }
    }

    /** {@link #getPageOwned}: the references are held. */
    public static final int GOT_PAGE = 0;
    /** {@link #getPageOwned}: the frame is free, not {@code owner}'s, or its count is saturated; nothing held. */
    public static final int NOT_OWNED = -1;
    /** {@link #getPageOwned}: the frame is {@code owner}'s but cannot be typed writable (a page table, a descriptor page); nothing held. */
    public static final int NOT_WRITABLE = -2;

    /**
     * A general reference on a frame that must be {@code owner}'s own, and for a write a
     * writable type reference: {@link #getPage} with the owner checked exactly (not a hypervisor
     * page shared with {@code owner}), then {@link #getPageType}{@code (PGT_WRITABLE_PAGE)},
     * as Xen's {@code get_paged_frame} and {@code gnttab_copy_claim_buf} take them for one side
     * of a grant copy or grant I/O. The same two compare-and-swaps, but the frame's state is
     * found once for both (the per-frame path of grant copy, where finding it again for each
     * word cost as much as the atomics). {@link #putPageOwned} drops both.
     *
     * @return {@link #GOT_PAGE}, {@link #NOT_OWNED} or {@link #NOT_WRITABLE}
     */
    public int getPageOwned(long mfn, int owner, boolean writable) {
        if (!valid(mfn)) {
            return NOT_OWNED;
        }
        int i = (int) mfn;
        Block b = detailedBlock(i);
        if (b == null) {
            return getPageOwnedSlow(mfn, owner, writable); // a uniform block: the first reference makes its arrays
        }
        int k = i & BLOCK_MASK;
        for (;;) {
            long x = (long) COUNT_INFO.getAcquire(b.countInfo, k);
            long count = x & PGC_COUNT_MASK;
            if (count == 0 || count == PGC_COUNT_MASK || (int) OWNER.getAcquire(b.owner, k) != owner) {
                return NOT_OWNED;
            }
            if (COUNT_INFO.compareAndSet(b.countInfo, k, x, x + 1)) {
                break;
            }
        }
        // Freed and handed to another between the owner check and the increment? Our reference pins it now.
        if ((int) OWNER.getAcquire(b.owner, k) != owner) {
            putPage(mfn);
            return NOT_OWNED;
        }
        ensureP2mWritten(mfn);
        if (!writable) {
            return GOT_PAGE;
        }
        for (;;) {
            long x = (long) TYPE_INFO.getAcquire(b.typeInfo, k);
            long count = x & PGT_COUNT_MASK;
            long nx;
            if (count == PGT_COUNT_MASK) {
                putPage(mfn);
                return NOT_WRITABLE;
            }
            if (pageType(x) == PGT_WRITABLE_PAGE) {
                nx = x + 1;
            } else if (count == 0) {
                nx = encodeTypeInfo(PGT_WRITABLE_PAGE, true, false, 1);
            } else {
                putPage(mfn);
                return NOT_WRITABLE;
            }
            if (TYPE_INFO.compareAndSet(b.typeInfo, k, x, nx)) {
                return GOT_PAGE;
            }
        }
    }

    private int getPageOwnedSlow(long mfn, int owner, boolean writable) {
        if (!getPage(mfn, owner)) {
            return NOT_OWNED;
        }
        if (owner(mfn) != owner) {
            putPage(mfn);
            return NOT_OWNED;
        }
        if (writable && !getPageType(mfn, PGT_WRITABLE_PAGE)) {
            putPage(mfn);
            return NOT_WRITABLE;
        }
        return GOT_PAGE;
    }

    /**
     * Drops what {@link #getPageOwned} took: the writable type reference (for a write), then the
     * general reference, the last of which frees the frame as {@link #putPage} does.
     */
    public void putPageOwned(long mfn, boolean writable) {
        checkMfn(mfn);
        int i = (int) mfn;
        Block b = detailedBlock(i);
        if (b == null) { // cannot be while we hold a reference taken on the arrays; kept for safety
            if (writable) {
                putPageType(mfn);
            }
            putPage(mfn);
            return;
        }
        int k = i & BLOCK_MASK;
        if (writable) {
            for (;;) {
                long x = (long) TYPE_INFO.getAcquire(b.typeInfo, k);
                long count = x & PGT_COUNT_MASK;
                if (count == 0) {
                    throw new IllegalStateException("put_page_type on mfn " + mfn + " with type count 0");
                }
                long nx = x - 1;
                if (count == 1) {
                    nx &= ~PGT_PINNED; // a writable page is never validated as a table: nothing to devalidate
                }
                if (TYPE_INFO.compareAndSet(b.typeInfo, k, x, nx)) {
                    break;
                }
            }
        }
        long nx;
        for (;;) {
            long x = (long) COUNT_INFO.getAcquire(b.countInfo, k);
            if ((x & PGC_COUNT_MASK) == 0) {
                throw new IllegalStateException("put_page on unreferenced mfn " + mfn);
            }
            nx = x - 1;
            if ((nx & PGC_COUNT_MASK) == 0) {
                nx = 0;
            }
            if (COUNT_INFO.compareAndSet(b.countInfo, k, x, nx)) {
                break;
            }
        }
        if (nx == 0) {
            freeFrame(i);
        }
    }

    /** The arrays of {@code mfn}'s block if it has them (a detailed chunk, a block out of its uniform state); else null. */
    private Block detailedBlock(int mfn) {
        Chunk c = chunk(mfn);
        Frames f = c == null ? null : framesOf(c);
        return f != null && blockOf(f, mfn) instanceof Block b ? b : null;
    }

    /**
     * Drops a general reference unless it is the last one: the caller must then make sure no
     * TLB still holds a translation to the frame before it drops it with {@link #putPage}
     * (a freed frame is zeroed and reused at once).
     *
     * @return false, with nothing changed, if the reference is the frame's last
     */
    public boolean putPageUnlessLast(long mfn) {
        checkMfn(mfn);
        int i = (int) mfn;
        for (;;) {
            long x = countOf(i);
            long count = x & PGC_COUNT_MASK;
            if (count == 0) {
                throw new IllegalStateException("put_page on unreferenced mfn " + mfn);
            }
            if (count == 1) {
                return false;
            }
            if (casCount(i, x, x - 1)) {
                return true;
            }
        }
    }

    /**
     * Drops a type reference unless it is the last one: the last one lets the frame change
     * type (or, for a page table, be devalidated and drop what its entries hold), which must
     * wait until no TLB can still use a translation through it; the caller then drops it with
     * {@link #putPageType} after the shootdown.
     *
     * @return false, with nothing changed, if the reference is the frame's last
     */
    public boolean putPageTypeUnlessLast(long mfn) {
        checkMfn(mfn);
        int i = (int) mfn;
        for (;;) {
            long x = typeOf(i);
            long count = x & PGT_COUNT_MASK;
            if (count == 0) {
                throw new IllegalStateException("put_page_type on mfn " + mfn + " with type count 0");
            }
            if (count == 1) {
                return false;
            }
            if (casType(i, x, x - 1)) {
                return true;
            }
        }
    }

    /**
     * Drops the pin of a pinned frame ({@code MMUEXT_UNPIN_TABLE} without the checks): clears
     * {@code PGT_pinned} and drops the type and general references the pin held.
     *
     * @return false if the frame was not pinned
     */
    public boolean unpin(long mfn) {
        checkMfn(mfn);
        int i = (int) mfn;
        for (;;) {
            long x = typeOf(i);
            if (!isPinned(x)) {
                return false;
            }
            if (casType(i, x, x & ~PGT_PINNED)) {
                break;
            }
        }
        putPageType(mfn);
        putPage(mfn);
        return true;
    }

    /**
     * Pins {@code mfn} as {@code type} ({@code MMUEXT_PIN_Ln_TABLE} without validation): takes
     * a general reference for {@code domid} and a type reference, and sets {@code PGT_pinned}.
     * A frame is pinned at most once.
     *
     * @return false if the references could not be taken or the frame is already pinned
     */
    public boolean pin(long mfn, int type, int domid) {
        if (!getPage(mfn, domid)) {
            return false;
        }
        if (!getPageType(mfn, type)) {
            putPage(mfn);
            return false;
        }
        int i = (int) mfn;
        for (;;) {
            long x = typeOf(i);
            if (isPinned(x)) {
                putPageType(mfn);
                putPage(mfn);
                return false;
            }
            if (casType(i, x, x | PGT_PINNED)) {
                return true;
            }
        }
    }

    /**
     * Marks {@code mfn}'s current type validated. Only meaningful while a type reference is held.
     *
     * @return false if the frame has no type reference (nothing to mark)
     */
    public boolean setValidated(long mfn) {
        checkMfn(mfn);
        int i = (int) mfn;
        for (;;) {
            long x = typeOf(i);
            if ((x & PGT_COUNT_MASK) == 0) {
                return false;
            }
            if (casType(i, x, x | PGT_VALIDATED)) {
                return true;
            }
        }
    }

    /**
     * Takes what a present, writable L1 entry of domain {@code domid} holds on each of the
     * {@code n} frames from {@code mfn} — a general reference ({@link #getPage}) and a
     * writable type reference ({@link #getPageType}) — as the builder's start-of-day mapping
     * does for every data page. A block of {@link #BLOCK_FRAMES} frames the run covers whole and
     * that is still in the extent's state (only its allocation reference) moves to the
     * "mapped at start of day" state with one compare-and-swap and keeps no per-frame arrays;
     * any other frame is taken one by one, exactly as the two calls would.
     *
     * @return false if a frame could not be taken: it and the frames after it hold nothing
     *     new; the frames before it keep what they were given
     */
    public boolean getPagesWritable(long mfn, long n, int domid) {
        if (n <= 0) {
            return true;
        }
        checkMfn(mfn);
        checkMfn(mfn + n - 1);
        long end = mfn + n;
        for (long m = mfn; m < end; ) {
            int i = (int) m;
            if ((i & BLOCK_MASK) == 0 && end - m >= BLOCK_FRAMES && mapUniformBlock(i, domid)) {
                m += BLOCK_FRAMES;
                continue;
            }
            if (!getPage(m, domid)) {
                return false;
            }
            if (!getPageType(m, PGT_WRITABLE_PAGE)) {
                putPage(m);
                return false;
            }
            m++;
        }
        return true;
    }

    /** The block at {@code mfn} (its first frame) from the extent's state to mapped-at-start-of-day, if it is in that state and {@code domid}'s. */
    private boolean mapUniformBlock(int mfn, int domid) {
        Chunk chunk = chunk(mfn);
        if (chunk == null) {
            return false;
        }
        Frames f = framesOf(chunk);
        if (f == null) {
            if (chunk.uniformOwner != domid) {
                return false;
            }
            f = inflate(chunk);
        }
        return f != DEAD && f.owner == domid
                && BLOCK.compareAndSet(f.blocks, (mfn & CHUNK_MASK) >>> BLOCK_SHIFT, ALLOCATED, MAPPED);
    }

    // ---------------------------------------------------------------------------------------
    // The P2M list, written a page at a time when first seen (LazyP2m, deviation 38)
    // ---------------------------------------------------------------------------------------

    /** Whether builders write whole P2M lists at build, as Xen's does; false by default. */
    private volatile boolean p2mWrittenAtBuild;

    /**
     * Has the domain builder write every new domain's whole P2M list at build, as Xen's does,
     * instead of a page at a time when first seen: the baseline the lazy list is measured and
     * compared against (tests and benchmarks). Domains built before keep what they had.
     */
    public void setP2mWrittenAtBuild(boolean eager) {
        this.p2mWrittenAtBuild = eager;
    }

    /** Whether builders write whole P2M lists at build ({@link #setP2mWrittenAtBuild}). */
    public boolean p2mWrittenAtBuild() {
        return p2mWrittenAtBuild;
    }

    /**
     * Leaves the pages of {@code pages}'s P2M list unwritten: each is written from
     * {@code list} the first time anything could see its bytes — a walk that reaches it
     * ({@link VcpuMmu}), a new reference to it ({@link #getPage}) or a type
     * ({@link #getPageType}: validation reads it) — and never if it is freed first. The list's
     * frames must be the domain's and hold the references the builder's mapping gave them.
     */
    void deferP2m(DomainPages pages, LazyP2m list) {
        pages.lazyP2m = list;
        list.forEachListFrame(mfn -> {
            Chunk chunk = chunk((int) mfn);
            long[] bits = chunk.p2mUnwritten;
            if (bits == null) {
                synchronized (chunk) {
                    bits = chunk.p2mUnwritten;
                    if (bits == null) {
                        bits = new long[CHUNK_WORDS];
                        chunk.p2mUnwritten = bits;
                    }
                }
            }
            int k = (int) mfn & CHUNK_MASK;
            P2M_BITS.getAndBitwiseOrRelease(bits, k >>> 6, 1L << k);
        });
    }

    /**
     * Writes {@code mfn} first if it is a page of a P2M list the build left unwritten; after
     * that, or for any other frame, two loads and a test. Called before anything reads a
     * frame a guest may have had no mapping of yet. Allocates nothing.
     */
    public void ensureP2mWritten(long mfn) {
        Chunk chunk = chunk((int) mfn);
        if (chunk == null) {
            return;
        }
        long[] bits = chunk.p2mUnwritten;
        if (bits == null) {
            return;
        }
        int k = (int) mfn & CHUNK_MASK;
        if (((long) P2M_BITS.getAcquire(bits, k >>> 6) & (1L << k)) == 0) {
            return;
        }
        writeP2mPage((int) mfn, chunk, bits);
    }

    private void writeP2mPage(int mfn, Chunk chunk, long[] bits) {
        DomainPages pages = ownerPagesOf(mfn);
        LazyP2m list = pages == null ? null : pages.lazyP2m;
        int k = mfn & CHUNK_MASK;
        if (list == null) {
            return; // freed meanwhile: its release clears the bit
        }
        synchronized (list) {
            if (((long) P2M_BITS.getAcquire(bits, k >>> 6) & (1L << k)) == 0) {
                return; // another vCPU wrote it
            }
            long page = list.pageOf(mfn);
            if (page >= 0) {
                list.write(memory.segment(), mfn, page);
            }
            // Release: who sees the bit clear sees the page's bytes.
            P2M_BITS.getAndBitwiseAndRelease(bits, k >>> 6, ~(1L << k));
        }
    }

    /** Frame {@code mfn}, owned through {@code pages}, is being freed: if it is an unwritten page of a list, it stays unwritten. */
    private void forgetP2mPage(int mfn, DomainPages pages) {
        Chunk chunk = chunk(mfn);
        long[] bits = chunk == null ? null : chunk.p2mUnwritten;
        if (bits == null) {
            return;
        }
        int k = mfn & CHUNK_MASK;
        if (((long) P2M_BITS.getAcquire(bits, k >>> 6) & (1L << k)) == 0) {
            return;
        }
        LazyP2m list = pages == null ? null : pages.lazyP2m;
        if (list == null) {
            P2M_BITS.getAndBitwiseAndRelease(bits, k >>> 6, ~(1L << k));
            return;
        }
        synchronized (list) { // a write under way finishes first, and the scrub comes after it
            P2M_BITS.getAndBitwiseAndRelease(bits, k >>> 6, ~(1L << k));
        }
    }

    /** Uniform chunk {@code c} of {@code pages} goes whole: none of its frames is an unwritten list page any more. */
    private void forgetP2mPages(int c, DomainPages pages) {
        Chunk chunk = chunk(c << CHUNK_SHIFT);
        long[] bits = chunk == null ? null : chunk.p2mUnwritten;
        if (bits == null) {
            return;
        }
        LazyP2m list = pages == null ? null : pages.lazyP2m;
        Object lock = list == null ? bits : list;
        synchronized (lock) {
            for (int w = 0; w < CHUNK_WORDS; w++) {
                P2M_BITS.setRelease(bits, w, 0L);
            }
        }
    }

    /**
     * How many pages of P2M lists are still unwritten in the whole host: a scan of the chunk
     * directory, for tests and measurements.
     */
    public long p2mPagesUnwritten() {
        long n = 0;
        for (int c = 0; c < chunks.length; c++) {
            Chunk chunk = chunk(c << CHUNK_SHIFT);
            long[] bits = chunk == null ? null : chunk.p2mUnwritten;
            if (bits != null) {
                for (int w = 0; w < CHUNK_WORDS; w++) {
                    n += Long.bitCount((long) P2M_BITS.getAcquire(bits, w));
                }
            }
        }
        return n;
    }

    private static DomainPages ownerPagesRead(Block b, int k) {
        int owner = (int) OWNER.getAcquire(b.owner, k); // the accounting was written before the owner
        return owner == DomId.DOMID_INVALID ? null : b.ownerPages[k];
    }

    /** The accounting of {@code mfn}'s owner, or null for a free or hypervisor frame. */
    private DomainPages ownerPagesOf(int mfn) {
        Chunk c = chunk(mfn);
        if (c == null) {
            return null;
        }
        Frames f = framesOf(c);
        if (f == null) {
            return c.uniformPages;
        }
        Object o = blockOf(f, mfn);
        if (o instanceof Block b) {
            return ownerPagesRead(b, mfn & BLOCK_MASK);
        }
        return ((Uniform) o).owned ? f.pages : null;
    }

    // ---------------------------------------------------------------------------------------
    // Machine-to-phys
    // ---------------------------------------------------------------------------------------

    /** The M2P entry of {@code mfn}: a PFN read as unsigned, or {@link #INVALID_M2P_ENTRY}. */
    public int m2p(long mfn) {
        checkMfn(mfn);
        return m2pOf((int) mfn);
    }

    /**
     * Sets the M2P entry of {@code mfn} to {@code pfn} ({@code set_gpfn_from_mfn}).
     *
     * @param pfn a PFN below {@code 0xFFFF_FFFF}, or -1 / {@code 0xFFFF_FFFF} for
     *            {@link #INVALID_M2P_ENTRY}
     */
    public void setM2p(long mfn, long pfn) {
        checkMfn(mfn);
        if (pfn != -1L && (pfn < 0 || pfn > 0xFFFF_FFFFL)) {
            throw new IllegalArgumentException("pfn out of range: " + pfn);
        }
        storeM2p((int) mfn, (int) pfn);
    }

    /** Entries of the read-only M2P table per frame: 8 bytes each on x86-64. */
    public static final int M2P_ENTRIES_PER_FRAME = MachineMemory.PAGE_SIZE / 8;

    /**
     * Gives the M2P table real frames: allocates {@code ceil(frames / 512)} contiguous
     * hypervisor pages (owner {@link DomId#DOMID_XEN}, shared with nobody, never freed), fills them
     * from the entries kept so far, and from then on mirrors every M2P change into them, as
     * 8-byte little-endian entries ({@code ~0} for {@link #INVALID_M2P_ENTRY}). Guests read the
     * table through the read-only mapping {@link VcpuMmu} resolves in the hypervisor-private
     * L4 slots ({@link Mmu#MACH2PHYS_VIRT_START}). Called once, at hypervisor boot.
     *
     * @return the first MFN of the table
     * @throws IllegalStateException if it was reserved already or no contiguous run is free
     */
    public synchronized long reserveMachphysTable() {
        if (m2pBase >= 0) {
            throw new IllegalStateException("the M2P table already has its frames");
        }
        int n = (frames + M2P_ENTRIES_PER_FRAME - 1) / M2P_ENTRIES_PER_FRAME;
        long first = -1;
        for (int k = 0; k < n; k++) {
            int mfn = popFree(0, null);
            if (mfn < 0 || (first >= 0 && mfn != first + k)) {
                throw new IllegalStateException("no contiguous run of " + n + " frames for the M2P table");
            }
            if (first < 0) {
                first = mfn;
            }
            own(mfn, 1, null, DomId.DOMID_XEN, DomId.DOMID_INVALID);
        }
        m2pFrames = n;
        // No page of the table is written now: each is written from the frame state the first
        // time a guest reads it (machphysPage), and stays a hole in machine memory till then.
        m2pBase = first;
        return first;
    }

    /**
     * Makes page {@code page} of the M2P table hold its entries before a guest reads it through
     * its read-only mapping: the first read writes the page from the frame state (invalid
     * entries where no chunk exists), and from then on every change is written through. The
     * caller ({@link VcpuMmu}'s walk of the hypervisor slots) asks before each translation of
     * the table it resolves; after the first, the check is one load. Allocates nothing.
     *
     * @return the page's MFN
     */
    long machphysPage(long page) {
        long base = m2pBase;
        int c = (int) page;
        if ((byte) M2P_PAGE.getAcquire(m2pPageState, c) != M2P_PAGE_LIVE) {
            if (M2P_PAGE.compareAndSet(m2pPageState, c, M2P_PAGE_HOLE, M2P_PAGE_FILLING)) {
                // Every change made to the state from here on is written through once the page is
                // live (m2pPageLive waits for it), so what is read now can only be older.
                try {
                    writeM2pPage(base, c, (Chunk) CHUNKS.getAcquire(chunks, c));
                } finally {
                    M2P_PAGE.setVolatile(m2pPageState, c, M2P_PAGE_LIVE); // never left half-way: writers wait on it
                }
            } else {
                while ((byte) M2P_PAGE.getVolatile(m2pPageState, c) != M2P_PAGE_LIVE) {
                    Thread.onSpinWait(); // another thread writes its 512 entries
                }
            }
        }
        return base + page;
    }

    /** How many pages of the M2P table guests have read, and so hold machine memory: for tests. */
    public int machphysPagesWritten() {
        int n = 0;
        for (int c = 0; c < m2pPageState.length; c++) {
            if ((byte) M2P_PAGE.getVolatile(m2pPageState, c) == M2P_PAGE_LIVE) {
                n++;
            }
        }
        return n;
    }

    /**
     * After a change to the M2P state of chunk {@code c}: whether the change must be written to
     * its page too (the page is live). Waits out a first fill that may have read the state
     * before the change, so the change is written after it.
     */
    private boolean m2pPageLive(int c) {
        VarHandle.fullFence(); // the state change before the page's state is read (see machphysPage)
        byte st;
        while ((st = (byte) M2P_PAGE.getVolatile(m2pPageState, c)) == M2P_PAGE_FILLING) {
            Thread.onSpinWait();
        }
        return st == M2P_PAGE_LIVE;
    }

    /** The first MFN of the M2P table's frames, or -1 before {@link #reserveMachphysTable}. */
    public long machphysBase() {
        return m2pBase;
    }

    /** How many frames the M2P table spans (0 before {@link #reserveMachphysTable}). */
    public int machphysFrames() {
        return m2pBase < 0 ? 0 : m2pFrames;
    }

    /** The M2P table's page for chunk {@code c}: the chunk's entries, 8 bytes each (all invalid for none). */
    private void writeM2pPage(long base, int c, Chunk chunk) {
        MemorySegment mem = memory.segment();
        long at = MachineMemory.maddr(base) + 8L * ((long) c << CHUNK_SHIFT);
        int n = Math.min(CHUNK_FRAMES, frames - (c << CHUNK_SHIFT));
        Frames f = chunk == null ? DEAD : framesOf(chunk);
        long uniform = chunk == null ? -1 : chunk.uniformM2pBase;
        for (int k = 0; k < n; k++) {
            int pfn = f == null ? (uniform < 0 ? INVALID_M2P_ENTRY : (int) (uniform + k)) : m2pIn(f, k);
            mem.set(PTE_LAYOUT, at + 8L * k, pfn == INVALID_M2P_ENTRY ? -1L : Integer.toUnsignedLong(pfn));
        }
    }

    /**
     * Sets the M2P entries of {@code n} consecutive frames from {@code mfn} to consecutive
     * PFNs from {@code pfn}, as {@link #setM2p} one by one would; a uniform chunk the run
     * covers whole keeps its state uniform (one number, and its M2P page written).
     *
     * @throws IndexOutOfBoundsException if the run leaves machine memory
     * @throws IllegalArgumentException  if a PFN does not fit an M2P entry
     */
    public void setM2pRun(long mfn, long pfn, int n) {
        checkMfn(mfn);
        checkMfn(mfn + n - 1);
        if (pfn < 0 || pfn + n - 1 > 0xFFFF_FFFEL) {
            throw new IllegalArgumentException("pfn out of range: " + pfn + "+" + n);
        }
        long end = mfn + n;
        for (long m = mfn; m < end; ) {
            int c = (int) (m >>> CHUNK_SHIFT);
            long chunkEnd = Math.min(end, (long) (c + 1) << CHUNK_SHIFT);
            Chunk chunk = chunk((int) m);
            if ((m & CHUNK_MASK) == 0 && chunkEnd - m == CHUNK_FRAMES && chunk != null && framesOf(chunk) == null) {
                chunk.uniformM2pBase = pfn + (m - mfn);
                long base = m2pBase;
                if (base >= 0 && m2pPageLive(c)) {
                    writeM2pPage(base, c, chunk);
                }
                if (framesOf(chunk) == null) {
                    m = chunkEnd;
                    continue;
                }
                // Inflated meanwhile, perhaps from the old number: set each frame as well.
            }
            for (; m < chunkEnd; m++) {
                storeM2p((int) m, (int) (pfn + (m - mfn)));
            }
        }
    }

    private void storeM2p(int mfn, int pfn) {
        Chunk chunk = chunk(mfn);
        if (chunk == null) {
            return; // a free frame without state: its entry is invalid, and stays so
        }
        Frames f = framesOf(chunk);
        if (f == null) {
            long base = chunk.uniformM2pBase;
            int now = base < 0 ? INVALID_M2P_ENTRY : (int) (base + (mfn & CHUNK_MASK));
            if (now == pfn) {
                return; // already so, and so in the table
            }
        } else if (BLOCK.getAcquire(f.blocks, (mfn & CHUNK_MASK) >>> BLOCK_SHIFT) instanceof Uniform u
                && Frames.uniformM2p(f, u, mfn & CHUNK_MASK) == pfn) {
            return; // already so in a block without arrays, and so in the table
        }
        Block b = writable(mfn);
        if (b == null) {
            return; // dead: free
        }
        M2P.setRelease(b.m2p, mfn & BLOCK_MASK, pfn);
        long base = m2pBase;
        if (base >= 0 && m2pPageLive(mfn >>> CHUNK_SHIFT)) {
            memory.segment().set(PTE_LAYOUT, MachineMemory.maddr(base) + 8L * mfn,
                    pfn == INVALID_M2P_ENTRY ? -1L : Integer.toUnsignedLong(pfn));
        }
    }

    // ---------------------------------------------------------------------------------------

    private boolean valid(long mfn) {
        return mfn >= 0 && mfn < frames;
    }

    private void checkMfn(long mfn) {
        if (!valid(mfn)) {
            throw new IndexOutOfBoundsException("mfn " + mfn + " outside 0.." + (frames - 1));
        }
    }

    // ---------------------------------------------------------------------------------------
    // Chunks of per-frame state
    // ---------------------------------------------------------------------------------------

    /** The chunk that holds {@code mfn}'s state, or null: then the frame is free and untyped. */
    private Chunk chunk(int mfn) {
        return (Chunk) CHUNKS.getAcquire(chunks, mfn >>> CHUNK_SHIFT);
    }

    /** Makes chunk {@code c} detailed, all its frames free, with its page of the M2P table. Under freeLock. */
    private Chunk materialize(int c) {
        return install(c, new Chunk());
    }

    /** Puts {@code chunk} in the directory at {@code c}, and in its M2P page if a guest read that. Under freeLock. */
    private Chunk install(int c, Chunk chunk) {
        if (chunks[c] == null) {
            liveChunks++;
        }
        CHUNKS.setRelease(chunks, c, chunk);
        long base = m2pBase;
        if (base >= 0 && m2pPageLive(c)) {
            writeM2pPage(base, c, chunk);
        }
        return chunk;
    }

    /**
     * Drops chunk {@code c} if every one of its frames is free: its state is what a missing
     * chunk reads as, and its page of the M2P table goes back to the host. A thread that read
     * the chunk before sees only free frames in it, and no compare-and-swap of a free frame's
     * count can succeed. Under freeLock.
     */
    private boolean dematerializeIfFree(int c) {
        Chunk chunk = chunks[c];
        if (chunk == null || ((c + 1) << CHUNK_SHIFT) > frames) {
            return false;
        }
        int w0 = c * CHUNK_WORDS;
        for (int w = w0; w < w0 + CHUNK_WORDS; w++) {
            if (freeBits[w] != -1L) {
                return false;
            }
        }
        CHUNKS.setRelease(chunks, c, (Chunk) null);
        liveChunks--;
        return true;
    }

    /**
     * The chunks {@code first .. first+n-1} are gone: their M2P pages that guests read (which
     * their TLBs may still map) now say invalid for every frame; the others were never written.
     */
    private void discardM2pPages(int first, int n) {
        long base = m2pBase;
        if (base < 0) {
            return;
        }
        for (int c = first; c < first + n; c++) {
            if (m2pPageLive(c)) {
                writeM2pPage(base, c, null);
            }
        }
    }

    /** The per-frame state of {@code chunk} to read: null while it is uniform. */
    private static Frames framesOf(Chunk chunk) {
        return (Frames) FRAMES.getAcquire(chunk);
    }

    /**
     * The arrays of {@code mfn}'s block to write, made from the uniform state first if the chunk
     * or the block is uniform; null for a frame without state or in a dead chunk (a free frame,
     * which nothing may write).
     */
    private Block writable(int mfn) {
        Chunk chunk = chunk(mfn);
        if (chunk == null) {
            return null;
        }
        Frames f = framesOf(chunk);
        if (f == null) {
            f = inflate(chunk);
        }
        if (f == DEAD) {
            return null;
        }
        int b = (mfn & CHUNK_MASK) >>> BLOCK_SHIFT;
        for (;;) {
            Object o = BLOCK.getAcquire(f.blocks, b);
            if (o instanceof Block block) {
                return block;
            }
            Block block = new Block(f, b, (Uniform) o);
            // Published once; a block whose uniform state changed meanwhile is made again.
            Object won = BLOCK.compareAndExchange(f.blocks, b, o, block);
            if (won == o) {
                return block;
            }
        }
    }

    /** A uniform chunk gets per-block state: every block in the extent's state, published once. */
    private static Frames inflate(Chunk chunk) {
        Frames f = new Frames(chunk.uniformOwner, chunk.uniformPages, chunk.uniformM2pBase, ALLOCATED);
        Frames won = (Frames) FRAMES.compareAndExchange(chunk, (Frames) null, f);
        return won == null ? f : won;
    }

    /** Block slot of {@code mfn} in {@code f}: a {@link Uniform} or a {@link Block}. */
    private static Object blockOf(Frames f, int mfn) {
        return BLOCK.getAcquire(f.blocks, (mfn & CHUNK_MASK) >>> BLOCK_SHIFT);
    }

    /** The M2P entry of frame {@code k} of a chunk with per-block state {@code f}. */
    private static int m2pIn(Frames f, int k) {
        Object o = BLOCK.getAcquire(f.blocks, k >>> BLOCK_SHIFT);
        return o instanceof Block b ? (int) M2P.getAcquire(b.m2p, k & BLOCK_MASK) : Frames.uniformM2p(f, (Uniform) o, k);
    }

    // A dead chunk's blocks are all FREE, so the readers below need not tell it apart.

    private int ownerOf(int mfn) {
        Chunk c = chunk(mfn);
        if (c == null) {
            return DomId.DOMID_INVALID;
        }
        Frames f = framesOf(c);
        if (f == null) {
            return c.uniformOwner;
        }
        Object o = blockOf(f, mfn);
        if (o instanceof Block b) {
            return (int) OWNER.getAcquire(b.owner, mfn & BLOCK_MASK);
        }
        return ((Uniform) o).owned ? f.owner : DomId.DOMID_INVALID;
    }

    private int sharedWithOf(int mfn) {
        Chunk c = chunk(mfn);
        Frames f = c == null ? null : framesOf(c);
        return f != null && blockOf(f, mfn) instanceof Block b
                ? (int) SHARED_WITH.getAcquire(b.sharedWith, mfn & BLOCK_MASK) : DomId.DOMID_INVALID;
    }

    private long countOf(int mfn) {
        Chunk c = chunk(mfn);
        if (c == null) {
            return 0L;
        }
        Frames f = framesOf(c);
        if (f == null) {
            return PGC_ALLOCATED | 1L;
        }
        Object o = blockOf(f, mfn);
        return o instanceof Block b ? (long) COUNT_INFO.getAcquire(b.countInfo, mfn & BLOCK_MASK) : ((Uniform) o).countInfo;
    }

    private long typeOf(int mfn) {
        Chunk c = chunk(mfn);
        Frames f = c == null ? null : framesOf(c);
        if (f == null) {
            return 0L;
        }
        Object o = blockOf(f, mfn);
        return o instanceof Block b ? (long) TYPE_INFO.getAcquire(b.typeInfo, mfn & BLOCK_MASK) : ((Uniform) o).typeInfo;
    }

    private int m2pOf(int mfn) {
        Chunk c = chunk(mfn);
        if (c == null) {
            return INVALID_M2P_ENTRY;
        }
        Frames f = framesOf(c);
        if (f == null) {
            long base = c.uniformM2pBase;
            return base < 0 ? INVALID_M2P_ENTRY : (int) (base + (mfn & CHUNK_MASK));
        }
        return m2pIn(f, mfn & CHUNK_MASK);
    }

    /** Compare-and-swap of a count_info word; fails for a free frame without state. */
    private boolean casCount(int mfn, long expected, long update) {
        Block b = writable(mfn);
        return b != null && COUNT_INFO.compareAndSet(b.countInfo, mfn & BLOCK_MASK, expected, update);
    }

    /** Compare-and-swap of a type_info word; fails for a free frame without state. */
    private boolean casType(int mfn, long expected, long update) {
        if (expected == update) {
            return typeOf(mfn) == expected;
        }
        Block b = writable(mfn);
        return b != null && TYPE_INFO.compareAndSet(b.typeInfo, mfn & BLOCK_MASK, expected, update);
    }

    // ---------------------------------------------------------------------------------------
    // The free pool
    // ---------------------------------------------------------------------------------------

    /**
     * Takes the lowest free frame ({@code order} 0) or the lowest free naturally aligned run of
     * {@code 2^order} frames from the pool, making the chunks it falls in: a chunk the run
     * covers whole becomes a uniform chunk of {@code uniformFor} when that is given (its
     * frames are then owned from here on), any other a detailed one.
     *
     * @return its first MFN, or -1 if there is none
     */
    private int popFree(int order, DomainPages uniformFor) {
        freeLock.lock();
        try {
            int mfn = order == 0 ? takeLowest() : takeRun(order);
            if (mfn < 0) {
                return -1;
            }
            int n = 1 << order;
            freeCount -= n;
            for (int c = mfn >>> CHUNK_SHIFT; c <= (mfn + n - 1) >>> CHUNK_SHIFT; c++) {
                boolean whole = n >= CHUNK_FRAMES && ((c + 1) << CHUNK_SHIFT) <= frames;
                if (whole && uniformFor != null) {
                    // Every frame of it was free: nobody writes the chunk it replaces.
                    install(c, new Chunk(uniformFor));
                } else if (chunks[c] == null || chunks[c].frames == DEAD || chunks[c].frames == null) {
                    materialize(c);
                }
            }
            return mfn;
        } finally {
            freeLock.unlock();
        }
    }

    private int takeLowest() {
        for (int w = freeHint; w < freeBits.length; w++) {
            long bits = freeBits[w];
            if (bits != 0) {
                freeBits[w] = bits & (bits - 1);
                freeHint = w;
                return (w << 6) | Long.numberOfTrailingZeros(bits);
            }
        }
        freeHint = freeBits.length;
        return -1;
    }

    private int takeRun(int order) {
        int n = 1 << order;
        if (n < 64) {
            long mask = (1L << n) - 1;
            for (int w = freeHint; w < freeBits.length; w++) {
                long bits = freeBits[w];
                for (int b = 0; bits != 0 && b < 64; b += n) {
                    if (((bits >>> b) & mask) == mask) {
                        freeBits[w] = bits & ~(mask << b);
                        return (w << 6) | b;
                    }
                }
            }
            return -1;
        }
        int words = n >>> 6;
        for (int w = freeHint / words * words; w + words <= freeBits.length; w += words) {
            int k = 0;
            while (k < words && freeBits[w + k] == -1L) {
                k++;
            }
            if (k == words) {
                java.util.Arrays.fill(freeBits, w, w + words, 0L);
                return w << 6;
            }
        }
        return -1;
    }

    /** Puts the scrubbed frames {@code first .. first+n-1} back in the pool. Under freeLock. */
    private void pushRun(int first, int n) {
        for (int mfn = first; mfn < first + n; mfn++) {
            freeBits[mfn >>> 6] |= 1L << mfn;
        }
        freeCount += n;
        freeHint = Math.min(freeHint, first >>> 6);
    }

    /**
     * The last reference went: the frame loses its owner, is scrubbed (its memory given back
     * to the host, so a frame nobody wrote is never touched to zero it) and goes back to the
     * pool.
     */
    private void freeFrame(int mfn) {
        DomainPages pages = unown(mfn);
        if (pages != null) {
            pages.uncharge();
        }
        memory.discard(mfn, 1);
        freeLock.lock();
        try {
            pushRun(mfn, 1);
        } finally {
            freeLock.unlock();
        }
    }

    /**
     * Frames whose last reference went during a domain's release, given in ascending order:
     * unowned at once; each run of consecutive frames is scrubbed with one
     * {@link MachineMemory#discard} (a hole punched in machine memory: the host gets the memory
     * back, and a frame the guest never touched is not touched now) and only then returned to
     * the pool, so that nobody can allocate one before it is zero. The owner's
     * {@code tot_pages} drops once, by all of them.
     */
    private final class FreeBatch {
        private final DomainPages pages;
        private int runFirst = -1;
        private int runLength;
        private long uncharged;

        FreeBatch(DomainPages pages) {
            this.pages = pages;
        }

        void add(int mfn) {
            DomainPages owner = unown(mfn);
            if (owner == pages) {
                uncharged++;
            } else if (owner != null) {
                owner.uncharge();
            }
            if (runFirst >= 0 && mfn == runFirst + runLength) {
                runLength++;
                return;
            }
            flush();
            runFirst = mfn;
            runLength = 1;
        }

        /** Uniform chunk {@code c} of {@code owner}, which this release took whole (it is dead now). */
        void addDead(int c, DomainPages owner) {
            int mfn = c << CHUNK_SHIFT;
            forgetP2mPages(c, owner);
            if (owner == pages) {
                uncharged += CHUNK_FRAMES;
            } else {
                owner.uncharge(CHUNK_FRAMES);
            }
            if (runFirst >= 0 && mfn == runFirst + runLength) {
                runLength += CHUNK_FRAMES;
                return;
            }
            flush();
            runFirst = mfn;
            runLength = CHUNK_FRAMES;
        }

        private void flush() {
            if (runFirst < 0) {
                return;
            }
            memory.discard(runFirst, runLength);
            freeLock.lock();
            try {
                // A dead chunk leaves the directory with its frames' return (below), before
                // anyone can allocate one of them into it.
                pushRun(runFirst, runLength);
                // The chunks left all free go, and their M2P pages back to the host, a run of
                // consecutive pages with one system call.
                int dropFirst = -1;
                int dropped = 0;
                for (int c = runFirst >>> CHUNK_SHIFT; c <= (runFirst + runLength - 1) >>> CHUNK_SHIFT; c++) {
                    if (dematerializeIfFree(c)) {
                        if (dropped == 0) {
                            dropFirst = c;
                        }
                        dropped++;
                    } else if (dropped > 0) {
                        discardM2pPages(dropFirst, dropped);
                        dropped = 0;
                    }
                }
                if (dropped > 0) {
                    discardM2pPages(dropFirst, dropped);
                }
            } finally {
                freeLock.unlock();
            }
            runFirst = -1;
        }

        void release() {
            flush();
            if (uncharged > 0) {
                pages.uncharge(uncharged);
            }
        }
    }

    /**
     * Takes {@code mfn} from its owner: no owner, type or M2P entry any more.
     *
     * @return the accounting it was charged to, for the caller to uncharge, or null
     */
    private DomainPages unown(int mfn) {
        Block c = writable(mfn);
        int k = mfn & BLOCK_MASK;
        DomainPages pages = c.ownerPages[k];
        forgetP2mPage(mfn, pages); // before the scrub: a write of the list page cannot follow it
        // No one may map it from here on; a walk that already passed mayMap is the TLB-flush
        // discipline's business, as on Xen.
        OWNER.setRelease(c.owner, k, DomId.DOMID_INVALID);
        SHARED_WITH.setRelease(c.sharedWith, k, DomId.DOMID_INVALID);
        c.ownerPages[k] = null;
        TYPE_INFO.setRelease(c.typeInfo, k, 0L);
        storeM2p(mfn, INVALID_M2P_ENTRY);
        return pages;
    }
}
