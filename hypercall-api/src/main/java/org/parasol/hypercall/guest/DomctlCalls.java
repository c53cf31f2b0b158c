package org.parasol.hypercall.guest;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.Domctl;
import org.parasol.hypercall.struct.ParasolDomctlLoadImage;
import org.parasol.hypercall.struct.VcpuGuestContext;
import org.parasol.hypercall.struct.XenDomctl;
import org.parasol.hypercall.struct.XenDomctlCreatedomain;
import org.parasol.hypercall.struct.XenDomctlGetdomaininfo;
import org.parasol.hypercall.struct.XenDomctlMaxMem;
import org.parasol.hypercall.struct.XenDomctlMaxVcpus;
import org.parasol.hypercall.struct.XenDomctlSchedulerOp;
import org.parasol.hypercall.struct.XenDomctlVcpuaffinity;
import org.parasol.hypercall.struct.XenDomctlVcpucontext;

/**
 * {@code HYPERVISOR_domctl(struct xen_domctl *)} (hypercall 36): what a control domain's
 * toolstack calls to build, run and take apart other domains, as libxenctrl's
 * {@code xc_domain_*} do. Each call marshals one {@code xen_domctl} with
 * {@link Domctl#INTERFACE_VERSION} onto the argument page.
 *
 * <p>The build sequence, as libxl and libxenguest run it:
 * <pre>
 *   createDomain(ANY, 1)      an empty, paused domain; its id comes back
 *   maxVcpus(d, 1)            its vCPUs, each down
 *   maxMem(d, kib)            its max_pages
 *   MemoryOpCalls.populatePhysmap(gpfns 0..n-1, d)   its memory
 *   loadImage(d, name, cmd)   (Parasol's command) the kernel and the start of day
 *   setVcpuContext(d, 0, ...) vCPU 0 at the kernel's entry, online
 *   unpauseDomain(d)          it runs
 * </pre>
 *
 * <p>Results are {@code >= 0} or {@code -errno}: {@code -EFAULT} for an unreadable structure,
 * {@code -EACCES} for a wrong interface version, {@code -EPERM} for a caller that is not a
 * control domain, {@code -ESRCH} for an unknown domain, {@code -ENOSYS} for an unknown
 * command.
 */
public final class DomctlCalls {
    private final Cpu cpu;
    private final ArgumentPage page;
    private final XenDomctl domctl = new XenDomctl();
    private final XenDomctlCreatedomain create = new XenDomctlCreatedomain();
    private final XenDomctlGetdomaininfo info = new XenDomctlGetdomaininfo();
    private final XenDomctlMaxMem maxMem = new XenDomctlMaxMem();
    private final XenDomctlMaxVcpus maxVcpus = new XenDomctlMaxVcpus();
    private final XenDomctlVcpucontext vcpuContext = new XenDomctlVcpucontext();
    private final ParasolDomctlLoadImage loadImage = new ParasolDomctlLoadImage();
    private final XenDomctlSchedulerOp schedulerOp = new XenDomctlSchedulerOp();
    private final XenDomctlVcpuaffinity affinity = new XenDomctlVcpuaffinity();
    private final VcpuGuestContext context = new VcpuGuestContext();
    private SegmentBuffer contextScratch;

    /** Wrappers for {@code cpu}, marshalling through {@code page} (the same vCPU's). */
    public DomctlCalls(Cpu cpu, ArgumentPage page) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.page = Objects.requireNonNull(page, "page");
    }

    /**
     * {@code XEN_DOMCTL_createdomain}: a new PV domain with no memory and no vCPUs yet, paused
     * by its controller (this caller) once.
     *
     * @param requested {@code DomId.ANY} for any free id, or the id wanted
     * @param maxVcpus the vCPUs it will have ({@link #maxVcpus} must name the same number)
     * @param handle the 16-byte handle (a UUID), or null for zeros
     * @return the new domain's id, or {@code -EEXIST} (the id is taken or reserved),
     *     {@code -EINVAL} (a flag or a count Parasol cannot honour)
     */
    public long createDomain(DomId requested, int maxVcpus, byte[] handle) {
        return createDomain(requested, 0, maxVcpus, handle);
    }

    /** As {@link #createDomain(DomId, int, byte[])} with {@code XEN_DOMCTL_CDF_*} {@code flags}. */
    public long createDomain(DomId requested, int flags, int maxVcpus, byte[] handle) {
        return createDomain(requested, flags, 0, maxVcpus, handle, 0);
    }

    /**
     * As {@link #createDomain(DomId, int, int, byte[])} in cpupool {@code cpupoolId}
     * ({@code cpupool_id}; 0 is Pool-0): {@code -ESRCH} when there is no such pool.
     */
    public long createDomain(DomId requested, int flags, int maxVcpus, byte[] handle, int cpupoolId) {
        return createDomain(requested, flags, 0, maxVcpus, handle, cpupoolId);
    }

    /**
     * As {@link #createDomain(DomId, int, int, byte[], int)} with x86's
     * {@code arch.emulation_flags} as well ({@code X86_EMU_*}, or Parasol's
     * {@link Domctl#PARASOL_EMU_BARE} or {@link Domctl#PARASOL_EMU_BT} with {@code CDF_hvm}).
     */
    public long createDomain(DomId requested, int flags, long emulationFlags, int maxVcpus, byte[] handle,
            int cpupoolId) {
        long off = begin(Domctl.CREATEDOMAIN, requested);
        try {
            XenDomctlCreatedomain c = create.wrap(page.buffer(), off + XenDomctl.U_OFFSET)
                    .flags(flags).maxVcpus(maxVcpus).maxGrantFrames(-1).maxMaptrackFrames(-1)
                    .archEmulationFlags(emulationFlags).cpupoolId(Integer.toUnsignedLong(cpupoolId));
            if (handle != null) {
                for (int i = 0; i < XenDomctlCreatedomain.HANDLE_SIZE && i < handle.length; i++) {
                    c.handle(i, handle[i]);
                }
            }
            long rc = call(off);
            if (rc < 0) {
                return rc;
            }
            page.copyOut(cpu.memory(), off, XenDomctl.SIZE);
            return domctl.wrap(page.buffer(), off).domain();
        } finally {
            page.pop(off);
        }
    }

    /** {@code XEN_DOMCTL_destroydomain}: 0, or {@code -EINVAL} for the caller itself. */
    public long destroyDomain(DomId d) {
        return simple(Domctl.DESTROYDOMAIN, d);
    }

    /** {@code XEN_DOMCTL_pausedomain}: 0, {@code -EINVAL} for the caller, {@code -EOVERFLOW} past 255. */
    public long pauseDomain(DomId d) {
        return simple(Domctl.PAUSEDOMAIN, d);
    }

    /** {@code XEN_DOMCTL_unpausedomain}: 0, or {@code -EINVAL} when it is not paused. */
    public long unpauseDomain(DomId d) {
        return simple(Domctl.UNPAUSEDOMAIN, d);
    }

    /** {@code XEN_DOMCTL_max_mem}: {@code max_pages} from {@code maxMemKiB}; 0 or {@code -errno}. */
    public long maxMem(DomId d, long maxMemKiB) {
        long off = begin(Domctl.MAX_MEM, d);
        try {
            maxMem.wrap(page.buffer(), off + XenDomctl.U_OFFSET).maxMemkb(maxMemKiB);
            return call(off);
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code XEN_DOMCTL_max_vcpus}: allocates the domain's vCPUs.
     *
     * @return 0, or {@code -EINVAL} when {@code max} differs from createdomain's or names the caller
     */
    public long maxVcpus(DomId d, int max) {
        long off = begin(Domctl.MAX_VCPUS, d);
        try {
            maxVcpus.wrap(page.buffer(), off + XenDomctl.U_OFFSET).max(max);
            return call(off);
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code XEN_DOMCTL_setvcpucontext} with a {@code vcpu_guest_context} the caller wrote at
     * {@code contextVa}.
     *
     * @return 0, {@code -EINVAL} (the caller's own domain, an unallocated vCPU, a field the
     *     hypervisor refuses), {@code -EEXIST} (already set), {@code -EFAULT}
     */
    public long setVcpuContext(DomId d, int vcpu, long contextVa) {
        long off = begin(Domctl.SETVCPUCONTEXT, d);
        try {
            vcpuContext.wrap(page.buffer(), off + XenDomctl.U_OFFSET).vcpu(vcpu).ctxt(contextVa);
            return call(off);
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code XEN_DOMCTL_setvcpucontext} built here: writes a context holding only the fields
     * Parasol uses into the caller's buffer at {@code bufferVa} (at least 5168 writable
     * bytes), then calls {@link #setVcpuContext(DomId, int, long)}.
     *
     * @param flags {@code VGCF_*}; {@code VGCF_online} brings the vCPU up (it runs once the
     *     domain is unpaused)
     */
    public long setVcpuContext(DomId d, int vcpu, long bufferVa, long flags, long entry, long stackPointer,
            long argument, long cr3) {
        if (contextScratch == null) {
            contextScratch = SegmentBuffer.allocate(VcpuGuestContext.SIZE);
        }
        context.wrap(contextScratch, 0).clear().flags(flags).rip(entry).rsp(stackPointer).rsi(argument).ctrlreg3(cr3);
        cpu.memory().copyFromSegment(contextScratch.segment(), 0, bufferVa, VcpuGuestContext.SIZE);
        return setVcpuContext(d, vcpu, bufferVa);
    }

    /**
     * {@code XEN_DOMCTL_getdomaininfo}: the state of domain {@code d} (not the next one: Xen
     * answers {@code -ESRCH} for an id with no domain since 4.18).
     */
    public DomainInfo getDomainInfo(DomId d) {
        long off = begin(Domctl.GETDOMAININFO, d);
        try {
            long rc = call(off);
            if (rc < 0) {
                return DomainInfo.failed(rc);
            }
            page.copyOut(cpu.memory(), off, XenDomctl.SIZE);
            XenDomctlGetdomaininfo i = info.wrap(page.buffer(), off + XenDomctl.U_OFFSET);
            byte[] handle = new byte[XenDomctlCreatedomain.HANDLE_SIZE];
            for (int b = 0; b < handle.length; b++) {
                handle[b] = (byte) i.handle(b);
            }
            return new DomainInfo(rc, i.domain(), i.flags(), i.totPages(), i.maxPages(), i.sharedInfoFrame(),
                    i.cpuTime(), i.nrOnlineVcpus(), i.maxVcpuId(), handle);
        } finally {
            page.pop(off);
        }
    }

    /**
     * Parasol's {@code PARASOL_LOAD_IMAGE}: loads kernel image {@code image} into a created,
     * populated and paused domain and lays out its start of day over its memory, with
     * {@code cmdline} in start_info.
     *
     * @return where vCPU 0 must start; {@code result} is 0 or {@code -errno}: {@code -EINVAL}
     *     (a bad length or name, memory that is not PFNs 0..n-1 of fresh frames, too little of
     *     it, no vCPUs yet), {@code -EBUSY} (already loaded), {@code -ENOENT} (no such image),
     *     {@code -EACCES} (the image's bytecode was refused)
     */
    public LoadedImage loadImage(DomId d, String image, String cmdline) {
        return loadImage(d, image, cmdline, 0, DomId.of(0));
    }

    /**
     * {@code PARASOL_LOAD_IMAGE} with a store: {@code storeEvtchn} is a port of {@code d} the
     * caller allocated unbound for {@code storeDomid} (libxl's {@code xc_evtchn_alloc_unbound(d,
     * store_domid)}), 0 for none. The command puts it and the store page it lays out into
     * start_info and seeds {@code d}'s grant reference 1 to give {@code storeDomid} the page.
     *
     * @return as {@link #loadImage(DomId, String, String)}, with the store page's MFN; also
     *     {@code -EINVAL} for a port that is not unbound for {@code storeDomid} in {@code d}
     */
    public LoadedImage loadImage(DomId d, String image, String cmdline, int storeEvtchn, DomId storeDomid) {
        return loadImage(d, image, cmdline, storeEvtchn, storeDomid, null);
    }

    /**
     * {@link #loadImage(DomId, String, String, int, DomId)} that also names the domain
     * {@code domainName} (null or empty: it keeps {@code d<id>}).
     *
     * @return as {@link #loadImage(DomId, String, String, int, DomId)}; also {@code -EINVAL} for
     *     a name over 64 bytes or outside {@code [A-Za-z0-9_.-]}, {@code -EEXIST} for a name a
     *     live domain has
     */
    public LoadedImage loadImage(DomId d, String image, String cmdline, int storeEvtchn, DomId storeDomid,
            String domainName) {
        byte[] name = image.getBytes(StandardCharsets.UTF_8);
        byte[] cmd = (cmdline == null ? "" : cmdline).getBytes(StandardCharsets.UTF_8);
        byte[] dn = (domainName == null ? "" : domainName).getBytes(StandardCharsets.UTF_8);
        long strings = page.push(name.length + cmd.length + dn.length);
        try {
            MemorySegment.copy(MemorySegment.ofArray(name), 0, page.scratch(), strings, name.length);
            MemorySegment.copy(MemorySegment.ofArray(cmd), 0, page.scratch(), strings + name.length, cmd.length);
            MemorySegment.copy(MemorySegment.ofArray(dn), 0, page.scratch(), strings + name.length + cmd.length,
                    dn.length);
            page.copyIn(cpu.memory(), strings, name.length + cmd.length + dn.length);
            long off = begin(Domctl.PARASOL_LOAD_IMAGE, d);
            try {
                loadImage.wrap(page.buffer(), off + XenDomctl.U_OFFSET)
                        .image(page.address(strings)).imageLen(name.length)
                        .cmdline(cmd.length == 0 ? 0 : page.address(strings + name.length)).cmdlineLen(cmd.length)
                        .storeEvtchn(storeEvtchn).storeDomid(storeDomid.value())
                        .name(dn.length == 0 ? 0 : page.address(strings + name.length + cmd.length))
                        .nameLen(dn.length);
                long rc = call(off);
                if (rc < 0) {
                    return new LoadedImage(rc, 0, 0, 0, 0, 0, 0, 0);
                }
                page.copyOut(cpu.memory(), off, XenDomctl.SIZE);
                ParasolDomctlLoadImage l = loadImage.wrap(page.buffer(), off + XenDomctl.U_OFFSET);
                return new LoadedImage(rc, l.entry(), l.startInfo(), l.cr3(), l.stack(), l.nrPages(), l.ptBase(),
                        l.storeMfn());
            } finally {
                page.pop(off);
            }
        } finally {
            page.pop(strings);
        }
    }

    /** A command whose union is unused: destroy, pause, unpause; or any {@code cmd}, raw. */
    public long simple(int cmd, DomId d) {
        long off = begin(cmd, d);
        try {
            return call(off);
        } finally {
            page.pop(off);
        }
    }

    /** What {@code XEN_DOMCTL_SCHEDOP_getinfo} answered for the credit scheduler: 0 or {@code -errno}, then weight and cap. */
    public record CreditParams(long result, int weight, int cap) {
    }

    /**
     * {@code XEN_DOMCTL_scheduler_op} with {@code XEN_DOMCTL_SCHEDOP_putinfo} for the credit
     * scheduler ({@code xc_sched_credit_domain_set}): {@code weight} 1..65535 (0: unchanged),
     * {@code cap} in percent of one pCPU, 0 for none ({@code 0xFFFF}: unchanged).
     *
     * @return 0, or {@code -EINVAL} for a scheduler other than credit
     */
    public long setCredit(DomId d, int weight, int cap) {
        long off = begin(Domctl.SCHEDULER_OP, d);
        try {
            schedulerOp.wrap(page.buffer(), off + XenDomctl.U_OFFSET).schedId(Domctl.SCHEDULER_CREDIT)
                    .cmd(Domctl.SCHEDOP_PUTINFO).creditWeight(weight).creditCap(cap);
            return call(off);
        } finally {
            page.pop(off);
        }
    }

    /** {@code XEN_DOMCTL_SCHEDOP_getinfo} for the credit scheduler ({@code xc_sched_credit_domain_get}). */
    public CreditParams getCredit(DomId d) {
        long off = begin(Domctl.SCHEDULER_OP, d);
        try {
            schedulerOp.wrap(page.buffer(), off + XenDomctl.U_OFFSET).schedId(Domctl.SCHEDULER_CREDIT)
                    .cmd(Domctl.SCHEDOP_GETINFO);
            long rc = call(off);
            if (rc < 0) {
                return new CreditParams(rc, 0, 0);
            }
            page.copyOut(cpu.memory(), off, XenDomctl.SIZE);
            XenDomctlSchedulerOp op = schedulerOp.wrap(page.buffer(), off + XenDomctl.U_OFFSET);
            return new CreditParams(rc, op.creditWeight(), op.creditCap());
        } finally {
            page.pop(off);
        }
    }

    /** A vCPU's affinities as {@code XEN_DOMCTL_getvcpuaffinity} or setvcpuaffinity left them: 0 or {@code -errno}, then the bitmaps. */
    public record Affinity(long result, byte[] hard, byte[] soft) {
    }

    /**
     * {@code XEN_DOMCTL_setvcpuaffinity} ({@code xc_vcpu_setaffinity}): sets vCPU {@code vcpu}'s
     * hard affinity to {@code hard} and its soft affinity to {@code soft}, each a bitmap of
     * {@code nrBits} pCPUs (bit {@code i % 8} of byte {@code i / 8}), or null to leave it. The
     * bitmaps come back as the affinity in effect (within the domain's cpupool).
     *
     * @return 0 and the affinities in effect, or {@code -EINVAL} (no such vCPU, no bitmap, a
     *     hard affinity with no pCPU of the pool), {@code -EFAULT}
     */
    public Affinity setVcpuAffinity(DomId d, int vcpu, byte[] hard, byte[] soft, int nrBits) {
        int flags = (hard != null ? Domctl.VCPUAFFINITY_HARD : 0) | (soft != null ? Domctl.VCPUAFFINITY_SOFT : 0);
        return vcpuAffinity(Domctl.SETVCPUAFFINITY, d, vcpu, flags, hard, soft, nrBits);
    }

    /** {@code XEN_DOMCTL_getvcpuaffinity} ({@code xc_vcpu_getaffinity}) of both affinities, as {@code nrBits}-bit bitmaps. */
    public Affinity getVcpuAffinity(DomId d, int vcpu, int nrBits) {
        byte[] none = new byte[(nrBits + 7) / 8];
        return vcpuAffinity(Domctl.GETVCPUAFFINITY, d, vcpu, Domctl.VCPUAFFINITY_HARD | Domctl.VCPUAFFINITY_SOFT,
                none, none.clone(), nrBits);
    }

    private Affinity vcpuAffinity(int cmd, DomId d, int vcpu, int flags, byte[] hard, byte[] soft, int nrBits) {
        int bytes = (nrBits + 7) / 8;
        long maps = page.push(2L * Math.max(1, bytes));
        try {
            long hardAt = maps;
            long softAt = maps + Math.max(1, bytes);
            MemorySegment.copy(MemorySegment.ofArray(hard != null ? hard : new byte[0]), 0, page.scratch(), hardAt,
                    hard != null ? Math.min(bytes, hard.length) : 0);
            MemorySegment.copy(MemorySegment.ofArray(soft != null ? soft : new byte[0]), 0, page.scratch(), softAt,
                    soft != null ? Math.min(bytes, soft.length) : 0);
            page.copyIn(cpu.memory(), maps, 2L * Math.max(1, bytes));
            long off = begin(cmd, d);
            try {
                XenDomctlVcpuaffinity a = affinity.wrap(page.buffer(), off + XenDomctl.U_OFFSET).vcpu(vcpu).flags(flags);
                if (hard != null) {
                    a.hardBitmap(page.address(hardAt)).hardNrBits(nrBits);
                }
                if (soft != null) {
                    a.softBitmap(page.address(softAt)).softNrBits(nrBits);
                }
                long rc = call(off);
                if (rc < 0) {
                    return new Affinity(rc, null, null);
                }
                page.copyOut(cpu.memory(), maps, 2L * Math.max(1, bytes));
                byte[] h = hard == null ? null : page.scratch().asSlice(hardAt, bytes).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                byte[] s = soft == null ? null : page.scratch().asSlice(softAt, bytes).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                return new Affinity(rc, h, s);
            } finally {
                page.pop(off);
            }
        } finally {
            page.pop(maps);
        }
    }

    /** Reserves and fills the header of a {@code xen_domctl}; the union is zero. */
    private long begin(int cmd, DomId d) {
        long off = page.push(XenDomctl.SIZE);
        domctl.wrap(page.buffer(), off).cmd(cmd).interfaceVersion(Domctl.INTERFACE_VERSION).domain(d.value());
        return off;
    }

    private long call(long off) {
        GuestMemory memory = cpu.memory();
        page.copyIn(memory, off, XenDomctl.SIZE);
        return cpu.hypercall(Hypercall.DOMCTL, page.address(off));
    }

    /**
     * What {@code XEN_DOMCTL_getdomaininfo} answered.
     *
     * @param result 0, or {@code -errno} (then every other field is 0)
     * @param domain the domain described
     * @param flags {@code XEN_DOMINF_*} with the shutdown code in bits 16..23
     * @param totPages pages it owns
     * @param maxPages pages it may own
     * @param sharedInfoFrame its shared_info frame
     * @param cpuTime nanoseconds its vCPUs ran
     * @param nrOnlineVcpus vCPUs up
     * @param maxVcpuId highest vCPU id, or {@code XEN_INVALID_MAX_VCPU_ID} (-1)
     * @param handle its 16-byte handle
     */
    public record DomainInfo(long result, int domain, int flags, long totPages, long maxPages, long sharedInfoFrame,
            long cpuTime, long nrOnlineVcpus, int maxVcpuId, byte[] handle) {

        static DomainInfo failed(long rc) {
            return new DomainInfo(rc, 0, 0, 0, 0, 0, 0, 0, 0, new byte[XenDomctlCreatedomain.HANDLE_SIZE]);
        }

        /** {@code XEN_DOMINF_shutdown}. */
        public boolean shutdown() {
            return (flags & Domctl.DOMINF_SHUTDOWN) != 0;
        }

        /** The shutdown code ({@code SHUTDOWN_*}), meaningful when {@link #shutdown()}. */
        public int shutdownCode() {
            return Domctl.shutdownCode(flags);
        }

        /** {@code XEN_DOMINF_paused}. */
        public boolean paused() {
            return (flags & Domctl.DOMINF_PAUSED) != 0;
        }

        /** {@code XEN_DOMINF_dying}. */
        public boolean dying() {
            return (flags & Domctl.DOMINF_DYING) != 0;
        }
    }

    /**
     * What {@code PARASOL_LOAD_IMAGE} answered: the values vCPU 0's context takes.
     *
     * @param result 0, or {@code -errno} (then every other field is 0)
     * @param entry code address of the kernel's boot ({@code user_regs.rip})
     * @param startInfo virtual address of start_info ({@code user_regs.rsi})
     * @param cr3 the bootstrap L4 in CR3 format ({@code ctrlreg[3]})
     * @param stack the initial stack pointer ({@code user_regs.rsp})
     * @param nrPages pages laid out
     * @param ptBase virtual address of the bootstrap L4
     * @param storeMfn the store page's MFN ({@code start_info.store_mfn})
     */
    public record LoadedImage(long result, long entry, long startInfo, long cr3, long stack, long nrPages,
            long ptBase, long storeMfn) {
    }
}
