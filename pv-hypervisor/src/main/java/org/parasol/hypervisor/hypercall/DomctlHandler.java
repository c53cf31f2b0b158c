package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EACCES;
import static org.parasol.hypercall.Errno.EBUSY;
import static org.parasol.hypercall.Errno.EEXIST;
import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOENT;
import static org.parasol.hypercall.Errno.ENOMEM;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import java.util.concurrent.locks.ReentrantLock;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.abi.Domctl;
import org.parasol.hypercall.abi.Evtchn2l;
import org.parasol.hypercall.abi.Runstate;
import org.parasol.hypercall.struct.ParasolDomctlLoadImage;
import org.parasol.hypercall.struct.VcpuGuestContext;
import org.parasol.hypercall.struct.XenDomctl;
import org.parasol.hypercall.struct.XenDomctlCreatedomain;
import org.parasol.hypercall.struct.XenDomctlGetdomaininfo;
import org.parasol.hypercall.struct.XenDomctlSchedulerOp;
import org.parasol.hypercall.struct.XenDomctlVcpuaffinity;
import org.parasol.hypercall.struct.XenDomctlVcpucontext;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainBuilder;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.domain.DomainCreationException;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.domain.Host;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.event.EventChannels;
import org.parasol.hypervisor.image.ImageException;
import org.parasol.hypervisor.image.ImageRefusedException;
import org.parasol.hypervisor.mm.BootLayout;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.sched.CpuMask;
import org.parasol.hypervisor.sched.CreditScheduler;
import org.parasol.hypervisor.sched.CreditUnit;

/**
 * domctl (hypercall 36): {@code (struct xen_domctl *)}, the control domain's family for
 * building, running and taking apart other domains, in the order of Xen's {@code do_domctl}.
 *
 * <ol>
 *   <li>The 144-byte {@code xen_domctl} is copied in once ({@code -EFAULT}).</li>
 *   <li>{@code interface_version} must be {@code XEN_DOMCTL_INTERFACE_VERSION} (0x18), or 0
 *       for the stable {@code get_domain_state} ({@code -EACCES}).</li>
 *   <li>Every command but createdomain looks its domain up by id ({@code DOMID_SELF} names
 *       none): an unknown id is {@code -ESRCH} for a control domain and {@code -EPERM} for any
 *       other caller, so an unprivileged caller learns nothing about which domains exist.</li>
 *   <li>The caller must be privileged ({@code is_control_domain}: XSM's default policy):
 *       {@code -EPERM}. An unprivileged caller so gets {@code -EPERM} from every command once
 *       its structure is readable and its version right.</li>
 *   <li>getdomaininfo is answered without the domctl lock; every other command takes it, and
 *       a caller that finds it held continues the hypercall later instead of waiting, as
 *       Xen's {@code domctl_lock_acquire} does.</li>
 * </ol>
 *
 * Commands:
 * <ul>
 *   <li>createdomain (1): {@code domain} IN is {@code DOMID_ANY} for any free id or the id
 *       wanted (0 included); a taken, reserved or other reserved-range id is {@code -EEXIST}.
 *       Then {@code sanitise_domain_config}: unknown CDF flags or grant options, no vCPUs,
 *       HAP, IOMMU, nested virtualization, vPMU, trapped unmapped accesses, a vmtrace
 *       buffer, or more vCPUs than shared_info has slots (32) are {@code -EINVAL}. The domain
 *       is PV, or trap-and-emulate with {@code CDF_hvm}, or the bare machine with {@code CDF_hvm}
 *       and Parasol's {@code PARASOL_EMU_BARE} emulation flag, or binary-translated with
 *       {@code PARASOL_EMU_BT} (the only emulation flags accepted); unprivileged, empty (tot_pages and max_pages 0), paused once by its
 *       controller, its vCPUs not yet allocated; its on_* actions are "preserve", as the
 *       toolstack, not the hypervisor, destroys a Xen domain after it shuts down. It runs in
 *       cpupool {@code cpupool_id} ({@code -ESRCH} when there is none). The id is
 *       written back to {@code domain}.</li>
 *   <li>destroydomain (2): the caller's own domain is {@code -EINVAL}. The domain is dying at
 *       once; the hypercall continues until its vCPUs have stopped, then every frame, port
 *       and grant is returned and its id is free. A vCPU that never stops (within the
 *       host's destroy timeout) leaves a zombie: {@code -EBUSY}.</li>
 *   <li>pausedomain (3): the caller's own domain is {@code -EINVAL}; past 255 pauses
 *       {@code -EOVERFLOW}. unpausedomain (4): {@code -EINVAL} when not paused.</li>
 *   <li>getdomaininfo (5): {@code xen_domctl_getdomaininfo} of exactly that domain (an id
 *       with no domain is {@code -ESRCH}, as since Xen 4.18): flags dying, shutdown (with the
 *       code in bits 16..23; {@code SHUTDOWN_CODE_INVALID}'s all-ones when there is none, as
 *       in Xen), paused, blocked, running; tot_pages, max_pages, shared_info's frame,
 *       cpu_time, nr_online_vcpus, max_vcpu_id, the handle.</li>
 *   <li>max_mem (11): {@code max_pages = max_memkb >> 2}, at most {@code 2^32 - 1}.</li>
 *   <li>setvcpucontext (12): the caller's own domain, a vCPU beyond {@code max_vcpus} or not
 *       yet allocated, a domain that shut down or is dying is {@code -EINVAL}; a null context is {@code -EINVAL} (Parasol cannot
 *       reset a vCPU); an unreadable one {@code -EFAULT}; then the fields as VCPUOP_initialise
 *       checks them, against the target's code table and page tables ({@code -EINVAL}); a
 *       vCPU already initialised is {@code -EEXIST}. With {@code VGCF_online} the vCPU is up
 *       and runs once the domain is unpaused.</li>
 *   <li>max_vcpus (15): the caller's own domain, or a count other than createdomain's, is
 *       {@code -EINVAL}; the vCPUs are allocated, each down.</li>
 *   <li>setvcpuaffinity (9), getvcpuaffinity (25): a vCPU's hard and soft affinity as
 *       {@code xenctl_bitmap}s; see {@code vcpuAffinity}.</li>
 *   <li>scheduler_op (16): the credit scheduler's weight and cap (putinfo, getinfo); any other
 *       {@code sched_id} or command is {@code -EINVAL}.</li>
 *   <li>Parasol's load-image (0x5041): see {@link ParasolDomctlLoadImage}. The caller's own
 *       domain, an image name of 0 or more than 255 bytes, a command line over 1023 bytes,
 *       a NUL or a byte above 0x7F in either, a non-zero pad, a {@code store_domid} that is
 *       no domain's id, a {@code store_evtchn} other than 0 that is not a port of the domain
 *       unbound for {@code store_domid}, a name over 64 bytes or outside
 *       {@code [A-Za-z0-9_.-]}, a non-zero {@code pad2}
 *       are {@code -EINVAL}; a name another live domain has is {@code -EEXIST} (the name is
 *       taken before the image is loaded and kept if loading then fails); unreadable bytes {@code -EFAULT}; no such image {@code -ENOENT};
 *       an image whose bytecode is refused {@code -EACCES}; then
 *       {@link DomainBuilder#loadImage}'s refusals ({@code -EBUSY}, {@code -EINVAL},
 *       {@code -ENOMEM} when no grant frame is left). On success the store page's MFN is
 *       written back in {@code store_mfn}, and grant reference 1 of the domain grants it to
 *       {@code store_domid}.</li>
 * </ul>
 * Any other command is {@code -ENOSYS} (getvcpucontext included).
 */
final class DomctlHandler implements HypercallHandler {
    /** The most vCPUs a Parasol domain has: one per {@code vcpu_info} slot of shared_info. */
    static final int MAX_VCPUS = 32;
    /** Bits of a PV guest's physical (machine) address space: PTE frame bits 12..51. */
    static final int GPADDR_BITS = 52;
    /**
     * CDF flags Parasol accepts: {@code CDF_hvm} (without HAP) makes a trap-and-emulate domain
     * (shadowed page tables, emulated devices; {@link Virtualization#TRAP}); the rest are
     * accepted and ignored.
     */
    static final long ACCEPTED_CDF = Domctl.CDF_HVM | Domctl.CDF_S3_INTEGRITY | Domctl.CDF_OOS_OFF
            | Domctl.CDF_XS_DOMAIN;
    /** Every CDF flag Xen knows. */
    static final long KNOWN_CDF = Domctl.CDF_HVM | Domctl.CDF_HAP | Domctl.CDF_S3_INTEGRITY | Domctl.CDF_OOS_OFF
            | Domctl.CDF_XS_DOMAIN | Domctl.CDF_IOMMU | Domctl.CDF_NESTED_VIRT | Domctl.CDF_VPMU
            | Domctl.CDF_TRAP_UNMAPPED_ACCESSES;

    /** Xen's {@code domctl_lock}: tried, never waited for. */
    private final ReentrantLock lock = new ReentrantLock();

    @Override
    public long call(Vcpu v, long arg, long a2, long a3, long a4, long a5) {
        GuestArgs a = GuestArgs.of(v);
        if (!a.inDomctl(v, arg)) {
            return -EFAULT;
        }
        XenDomctl op = a.domctl;
        long cmd = op.cmd();
        long version = cmd == Domctl.GET_DOMAIN_STATE ? 0 : Domctl.INTERFACE_VERSION;
        if (op.interfaceVersion() != version) {
            return -EACCES;
        }
        Domain self = v.domain();
        int domid = op.domain();
        Domain d = null;
        boolean needsDomain = cmd != Domctl.CREATEDOMAIN
                && !(cmd == Domctl.GET_DOMAIN_STATE && domid == DomId.DOMID_INVALID);
        if (needsDomain) {
            d = DomainArgs.byId(v, domid);
            if (d == null) {
                return self.privileged() ? -ESRCH : -EPERM;
            }
        }
        if (!self.privileged()) {
            return -EPERM; // xsm_domctl / xsm_getdomaininfo under the default policy
        }
        if (cmd == Domctl.GETDOMAININFO) {
            return getdomaininfo(v, a, d, arg);
        }
        if (!lock.tryLock()) {
            v.setContinuation(arg, a2, a3, a4, a5);
            return Vcpu.CONTINUATION;
        }
        try {
            return switch ((int) cmd) {
                case Domctl.CREATEDOMAIN -> createdomain(v, a, arg);
                case Domctl.DESTROYDOMAIN -> destroydomain(v, d, arg, a2, a3, a4, a5);
                case Domctl.PAUSEDOMAIN -> d == self ? -EINVAL : d.pauseByController();
                case Domctl.UNPAUSEDOMAIN -> d.unpauseByController();
                case Domctl.MAX_MEM -> maxMem(a, d);
                case Domctl.SETVCPUCONTEXT -> setvcpucontext(v, a, d);
                case Domctl.MAX_VCPUS -> maxVcpus(v, a, d);
                case Domctl.SCHEDULER_OP -> schedulerOp(v, a, d, arg);
                case Domctl.SETVCPUAFFINITY, Domctl.GETVCPUAFFINITY -> vcpuAffinity(v, a, d, (int) cmd);
                case Domctl.PARASOL_LOAD_IMAGE -> loadImage(v, a, d, arg);
                default -> -ENOSYS;
            };
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- createdomain

    private static long createdomain(Vcpu v, GuestArgs a, long arg) {
        Host host = v.domain().host();
        Host.Listener toolstack = host.toolstack();
        int domid = toolstack.claimDomid(a.domctl.domain());
        if (domid < 0) {
            return -EEXIST;
        }
        XenDomctlCreatedomain c = a.createdomain;
        long rc = sanitise(c);
        if (rc != 0) {
            toolstack.releaseDomid(domid);
            return rc;
        }
        int vcpus = (int) c.maxVcpus();
        long pool = c.cpupoolId();
        if (pool > Integer.MAX_VALUE || host.scheduler().pool((int) pool) == null) {
            toolstack.releaseDomid(domid);
            return -ESRCH; // cpupool_add_domain: no such pool
        }
        String name = toolstack.claimedName(domid);
        Domain d;
        try {
            DomainConfig cfg = new DomainConfig(name == null ? "d" + domid : name, 256, 256, vcpus, null, "", false,
                    DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE,
                    (c.flags() & Domctl.CDF_HVM) == 0 ? Virtualization.PV
                            : c.archEmulationFlags() == Domctl.PARASOL_EMU_BARE ? Virtualization.BARE
                            : c.archEmulationFlags() == Domctl.PARASOL_EMU_BT ? Virtualization.BT
                            : Virtualization.TRAP);
            d = DomainBuilder.createEmpty(host, cfg, domid);
        } catch (DomainCreationException | IllegalArgumentException e) {
            toolstack.releaseDomid(domid);
            return -ENOMEM;
        }
        host.scheduler().moveDomain(d.scheduling(), (int) pool); // no vCPU runs yet
        for (int i = 0; i < XenDomctlCreatedomain.HANDLE_SIZE; i++) {
            d.handle(i, c.handle(i));
        }
        a.domctl.domain(domid);
        return a.outDomctl(v, arg) ? 0 : -EFAULT;
    }

    /** {@code sanitise_domain_config} and the x86 PV checks after it: 0 or {@code -EINVAL}. */
    private static long sanitise(XenDomctlCreatedomain c) {
        long flags = c.flags();
        if ((flags & ~KNOWN_CDF) != 0 || (c.grantOpts() & ~Domctl.GRANT_VERSION_MASK) != 0) {
            return -EINVAL;
        }
        long vcpus = c.maxVcpus();
        if (vcpus < 1) {
            return -EINVAL;
        }
        boolean bare = (flags & Domctl.CDF_HVM) != 0 && (c.archEmulationFlags() == Domctl.PARASOL_EMU_BARE
                || c.archEmulationFlags() == Domctl.PARASOL_EMU_BT);
        if ((flags & ~ACCEPTED_CDF) != 0 || c.iommuOpts() != 0 || c.vmtraceSize() != 0
                || c.archEmulationFlags() != 0 && !bare) {
            return -EINVAL; // HAP, IOMMU (none here), nested virt, vPMU, vmtrace: not modelled
        }
        long grantVersion = c.grantOpts() & Domctl.GRANT_VERSION_MASK;
        if (grantVersion > 1 || vcpus > MAX_VCPUS) {
            return -EINVAL;
        }
        return 0;
    }

    // ---------------------------------------------------------------- destroydomain

    private static long destroydomain(Vcpu v, Domain d, long arg, long a2, long a3, long a4, long a5) {
        if (d == v.domain()) {
            return -EINVAL;
        }
        int r = DomainBuilder.tryDestroy(d, v.domain().host().toolstack().destroyTimeoutNanos());
        if (r == DomainBuilder.PENDING) {
            v.setContinuation(arg, a2, a3, a4, a5);
            return Vcpu.CONTINUATION;
        }
        return r == DomainBuilder.DESTROYED ? 0 : -EBUSY;
    }

    // ---------------------------------------------------------------- getdomaininfo

    private static long getdomaininfo(Vcpu v, GuestArgs a, Domain d, long arg) {
        XenDomctlGetdomaininfo info = a.getdomaininfo;
        info.clear();
        int flags = Domctl.DOMINF_BLOCKED;
        int online = 0;
        int maxVcpuId = Domctl.INVALID_MAX_VCPU_ID;
        long cpuTime = 0;
        int n = d.allocatedVcpus();
        for (int i = 0; i < n; i++) {
            Vcpu vc = d.vcpu(i);
            cpuTime += vc.sched().runstateTimes()[Runstate.RUNNING];
            maxVcpuId = i;
            if (vc.isUp()) {
                if (vc.sched().runstate() != Runstate.BLOCKED) {
                    flags &= ~Domctl.DOMINF_BLOCKED;
                }
                if (vc.sched().running()) {
                    flags |= Domctl.DOMINF_RUNNING;
                }
                online++;
            }
        }
        DomainState state = d.state();
        boolean dying = state == DomainState.DYING || state == DomainState.ZOMBIE || state == DomainState.DEAD;
        flags = (online > 0 ? flags : 0)
                | (dying ? Domctl.DOMINF_DYING : 0)
                | (state == DomainState.SHUTDOWN ? Domctl.DOMINF_SHUTDOWN : 0)
                | (d.pauseCount() > 0 ? Domctl.DOMINF_PAUSED : 0)
                | d.shutdownCode() << Domctl.DOMINF_SHUTDOWNSHIFT;
        info.domain(d.domid()).flags(flags)
                .totPages(d.pages().totPages()).maxPages(d.pages().maxPages())
                .sharedInfoFrame(d.sharedInfoMfn()).cpuTime(cpuTime)
                .nrOnlineVcpus(online).maxVcpuId(maxVcpuId).gpaddrBits(GPADDR_BITS);
        for (int i = 0; i < XenDomctlCreatedomain.HANDLE_SIZE; i++) {
            info.handle(i, d.handle(i));
        }
        return a.outDomctl(v, arg) ? 0 : -EFAULT;
    }

    // ---------------------------------------------------------------- memory and vCPUs

    private static long maxMem(GuestArgs a, Domain d) {
        long pages = a.maxMem.maxMemkb() >>> (MachineMemory.PAGE_SHIFT - 10);
        d.pages().setMaxPages(Math.min(pages, 0xFFFF_FFFFL)); // d->max_pages is an unsigned int
        return 0;
    }

    private static long maxVcpus(Vcpu v, GuestArgs a, Domain d) {
        if (d == v.domain() || a.maxVcpus.max() != d.vcpuCount()) {
            return -EINVAL;
        }
        d.allocateVcpus();
        return 0;
    }

    // ---------------------------------------------------------------- scheduling

    /**
     * {@code XEN_DOMCTL_scheduler_op} ({@code sched_adjust}): the credit scheduler's
     * {@code csched_dom_cntl}. A {@code sched_id} other than credit, or a command other than
     * putinfo and getinfo, is {@code -EINVAL}; putinfo leaves the weight for 0 and the cap for
     * {@code 0xFFFF}; getinfo answers in the structure, copied back whole.
     */
    private static long schedulerOp(Vcpu v, GuestArgs a, Domain d, long arg) {
        XenDomctlSchedulerOp op = a.schedulerOp;
        if (op.schedId() != Domctl.SCHEDULER_CREDIT) {
            return -EINVAL;
        }
        CreditScheduler s = d.host().scheduler();
        if (op.cmd() == Domctl.SCHEDOP_PUTINFO) {
            s.setParams(d.scheduling(), op.creditWeight(), op.creditCap());
            return 0;
        }
        if (op.cmd() == Domctl.SCHEDOP_GETINFO) {
            op.creditWeight(s.weight(d.scheduling())).creditCap(s.cap(d.scheduling()));
            return a.outDomctl(v, arg) ? 0 : -EFAULT;
        }
        return -EINVAL; // putvcpuinfo and getvcpuinfo are not the credit scheduler's
    }

    /**
     * {@code XEN_DOMCTL_setvcpuaffinity} and {@code getvcpuaffinity} ({@code vcpu_affinity_domctl}):
     * a vCPU at or beyond {@code max_vcpus} is {@code -EINVAL}, one not yet allocated
     * {@code -ESRCH}; no flag, or a null bitmap for a flag given, {@code -EINVAL}. Set: each
     * bitmap named is read ({@code -EFAULT}), at most one bit per pCPU, the bits past
     * {@code nr_bits} ignored; a hard affinity with no pCPU of the domain's cpupool is
     * {@code -EINVAL} and changes nothing. Both: the affinity in effect is written back into
     * each bitmap named (hard: within the pool; soft: within the pool and the hard affinity).
     */
    private static long vcpuAffinity(Vcpu v, GuestArgs a, Domain d, int cmd) {
        XenDomctlVcpuaffinity op = a.vcpuaffinity;
        long id = op.vcpu();
        if (id >= d.vcpuCount()) {
            return -EINVAL;
        }
        if (id >= d.allocatedVcpus()) {
            return -ESRCH;
        }
        long flags = op.flags();
        boolean hard = (flags & Domctl.VCPUAFFINITY_HARD) != 0;
        boolean soft = (flags & Domctl.VCPUAFFINITY_SOFT) != 0;
        if (!hard && !soft || hard && op.hardBitmap() == 0 || soft && op.softBitmap() == 0) {
            return -EINVAL; // vcpuaffinity_params_invalid
        }
        CreditScheduler s = d.host().scheduler();
        CreditUnit unit = d.vcpu((int) id).sched().unit();
        int xenBytes = (s.count() + 7) / 8;
        if (cmd == Domctl.SETVCPUAFFINITY) {
            CpuMask newHard = null;
            CpuMask newSoft = null;
            if (hard) {
                newHard = readBitmap(v, a, op.hardBitmap(), op.hardNrBits(), xenBytes);
                if (newHard == null) {
                    return -EFAULT;
                }
            }
            if (soft) {
                newSoft = readBitmap(v, a, op.softBitmap(), op.softNrBits(), xenBytes);
                if (newSoft == null) {
                    return -EFAULT;
                }
            }
            try {
                s.setAffinity(unit, newHard, newSoft);
            } catch (IllegalArgumentException e) {
                return -EINVAL; // no pCPU of the pool in the hard affinity
            }
        }
        CpuMask pool = s.poolOf(d.scheduling()).cpus();
        CpuMask effectiveHard = s.hardAffinity(unit).and(pool);
        if (hard && !writeBitmap(v, a, op.hardBitmap(), op.hardNrBits(), effectiveHard, xenBytes)) {
            return -EFAULT;
        }
        if (soft && !writeBitmap(v, a, op.softBitmap(), op.softNrBits(), s.softAffinity(unit).and(effectiveHard), xenBytes)) {
            return -EFAULT;
        }
        return 0;
    }

    /**
     * {@code xenctl_bitmap_to_bitmap}: {@code min((nrBits + 7) / 8, xenBytes)} bytes at
     * {@code va}, the bits past {@code nrBits} in its last byte cleared; null is {@code -EFAULT}.
     */
    private static CpuMask readBitmap(Vcpu v, GuestArgs a, long va, long nrBits, int xenBytes) {
        long guestBytes = (nrBits + 7) / 8;
        int copy = (int) Math.min(guestBytes, xenBytes);
        byte[] b = a.inBitmap(v, va, copy);
        if (b == null) {
            return null;
        }
        if ((nrBits & 7) != 0 && guestBytes == copy) {
            b[copy - 1] &= (byte) ~(0xFF << (nrBits & 7));
        }
        return CpuMask.fromBitmap(b, copy * 8);
    }

    /**
     * {@code cpumask_to_xenctl_bitmap}: the mask's bytes, at most {@code (nrBits + 7) / 8} of
     * them, then zeros to the end of the guest's bitmap (up to the strings region's size);
     * false is {@code -EFAULT}.
     */
    private static boolean writeBitmap(Vcpu v, GuestArgs a, long va, long nrBits, CpuMask mask, int xenBytes) {
        long guestBytes = (nrBits + 7) / 8;
        int n = (int) Math.min(guestBytes, Math.max(xenBytes, GuestArgs.STRINGS_BYTES));
        if (n == 0) {
            return true;
        }
        byte[] b = mask.toBitmap(n);
        if ((nrBits & 7) != 0 && guestBytes == n) {
            b[n - 1] &= (byte) ~(0xFF << (nrBits & 7));
        }
        return a.outBytes(v, va, b);
    }

    private static long setvcpucontext(Vcpu v, GuestArgs a, Domain d) {
        XenDomctlVcpucontext op = a.vcpucontext;
        long id = op.vcpu();
        long ctxt = op.ctxt();
        if (d == v.domain() || id >= d.allocatedVcpus() || !d.mayRun()) {
            return -EINVAL; // a domain that shut down or is dying gets no new context
        }
        if (ctxt == 0) {
            return -EINVAL; // vcpu_reset: see docs/deviations.md
        }
        if (!a.in(v, ctxt, VcpuGuestContext.SIZE)) {
            return -EFAULT;
        }
        Vcpu target = d.vcpu((int) id);
        if (target.initialised()) {
            return -EEXIST;
        }
        boolean online = (a.context.flags() & VcpuGuestContext.VGCF_ONLINE) != 0;
        long rc = VcpuOpHandler.setContext(v, d, target, a.context);
        if (rc == 0 && online) {
            target.bringUp();
        }
        return rc;
    }

    // ---------------------------------------------------------------- Parasol: load image

    private static long loadImage(Vcpu v, GuestArgs a, Domain d, long arg) {
        ParasolDomctlLoadImage op = a.loadImage;
        long imageVa = op.image();
        long imageLen = op.imageLen();
        long cmdlineVa = op.cmdline();
        long cmdlineLen = op.cmdlineLen();
        if (d == v.domain() || imageLen == 0 || imageLen > Domctl.PARASOL_IMAGE_NAME_MAX
                || cmdlineLen > Domctl.PARASOL_CMDLINE_MAX) {
            return -EINVAL;
        }
        String image = a.inString(v, imageVa, (int) imageLen);
        if (image == null) {
            return -EFAULT;
        }
        String cmdline = a.inString(v, cmdlineVa, (int) cmdlineLen);
        if (cmdline == null) {
            return -EFAULT;
        }
        if (!printableAscii(image) || !printableAscii(cmdline)) {
            return -EINVAL; // start_info.cmd_line is ASCII, NUL-terminated
        }
        long storeEvtchn = op.storeEvtchn();
        int storeDomid = op.storeDomid();
        if (op.pad() != 0 || storeDomid >= DomId.DOMID_FIRST_RESERVED || !storePortOk(d, storeEvtchn, storeDomid)) {
            return -EINVAL;
        }
        long nameLen = op.nameLen();
        if (op.pad2() != 0 || nameLen > Domctl.PARASOL_NAME_MAX) {
            return -EINVAL;
        }
        String name = nameLen == 0 ? null : a.inString(v, op.name(), (int) nameLen);
        if (nameLen != 0 && name == null) {
            return -EFAULT;
        }
        if (name != null && !name.matches("[A-Za-z0-9_.-]+")) {
            return -EINVAL; // DomainConfig's names: what logs and the host print
        }
        if (d.layout() != null) {
            return -EBUSY; // before loading the image again for nothing
        }
        Host host = d.host();
        if (name != null && !name.equals(d.name()) && !host.toolstack().rename(d, name)) {
            return -EEXIST;
        }
        Host.KernelFactory factory;
        try {
            factory = host.toolstack().loadKernel(image, d.privileged());
        } catch (ImageRefusedException e) {
            return -EACCES;
        } catch (ImageException e) {
            return -ENOENT;
        } catch (Exception e) {
            return -EINVAL;
        }
        long[] entry = new long[1];
        int rc = DomainBuilder.loadImage(host, d, factory, cmdline, (int) storeEvtchn, storeDomid, entry);
        if (rc != 0) {
            return rc;
        }
        BootLayout layout = d.layout();
        op.entry(entry[0]).startInfo(layout.startInfoVa())
                .cr3(layout.l4Mfn() << MachineMemory.PAGE_SHIFT)
                .stack(layout.freeVa() + MachineMemory.PAGE_SIZE)
                .nrPages(layout.nrPages()).ptBase(layout.ptBaseVa())
                .storeMfn(layout.storeMfn());
        if (!a.outDomctl(v, arg)) {
            return -EFAULT;
        }
        host.toolstack().domainCreated(d);
        return 0;
    }

    /**
     * Whether {@code port} may be the store channel of {@code d}: none (0), or a port of
     * {@code d} still unbound and waiting for {@code storeDomid}, as the toolstack's
     * {@code EVTCHNOP_alloc_unbound(d, store_domid)} left it.
     */
    private static boolean storePortOk(Domain d, long port, int storeDomid) {
        if (port == 0) {
            return true;
        }
        if (port >= Evtchn2l.NR_CHANNELS) {
            return false;
        }
        EventChannels events = d.events();
        return events.status((int) port) == EventChannels.UNBOUND && events.remoteDomain((int) port) == storeDomid;
    }

    /** Whether every char of {@code s} is an ASCII character other than NUL. */
    private static boolean printableAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0 || c > 0x7F) {
                return false;
            }
        }
        return true;
    }
}
