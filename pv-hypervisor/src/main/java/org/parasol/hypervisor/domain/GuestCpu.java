package org.parasol.hypervisor.domain;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestCode;
import org.parasol.hypercall.GuestMemory;

/**
 * The {@link Cpu} a guest kernel holds: a thin facade over its {@link Vcpu}, so the guest
 * sees only the contract. Every method checks that it runs on the vCPU's own thread.
 */
final class GuestCpu implements Cpu {
    private final Vcpu vcpu;
    private final Host host;

    GuestCpu(Vcpu vcpu, Host host) {
        this.vcpu = vcpu;
        this.host = host;
    }

    @Override
    public long hypercall(int nr, long a1, long a2, long a3, long a4, long a5) {
        return vcpu.hypercall(nr, a1, a2, a3, a4, a5);
    }

    @Override
    public int vcpuId() {
        own();
        return vcpu.id();
    }

    @Override
    public GuestMemory memory() {
        own();
        return vcpu.mmu();
    }

    @Override
    public long registerCode(GuestCode code) {
        own();
        if (code == null) {
            vcpu.guestBug("registerCode(null)");
        }
        long a = vcpu.domain().codeTable().register(code);
        if (a == 0) {
            vcpu.guestBug("code table full");
        }
        return a;
    }

    @Override
    public long rdtsc() {
        own();
        return host.timeScale().tscAt(host.systemTime());
    }

    @Override
    public org.parasol.hypercall.x86.RegisterFile registers() {
        own();
        VmExits x = vcpu.vmExits();
        if (x == null) {
            vcpu.guestBug("asked for its registers, but its domain runs paravirtualized");
        }
        return x.registers();
    }

    @Override
    public long frameRip() {
        own();
        VmExits x = nativeSide("frameRip");
        if (!x.inFrame()) {
            throw new IllegalStateException("frameRip outside an interrupt or exception handler");
        }
        return x.frameRip();
    }

    @Override
    public void setFrameRip(long rip) {
        own();
        if (!nativeSide("setFrameRip").frameRip(rip)) {
            throw new IllegalStateException("setFrameRip outside an interrupt or exception handler");
        }
    }

    private VmExits nativeSide(String what) {
        VmExits x = vcpu.vmExits();
        if (x == null) {
            throw new UnsupportedOperationException(what + ": this vCPU runs paravirtualized: no native execution");
        }
        return x;
    }

    @Override
    public void execute(int count) {
        vcpu.execute(count);
    }

    @Override
    public void executeTranslated(int count) {
        vcpu.executeTranslated(count);
    }

    @Override
    public long attachEmulatedDisk(int domid, java.nio.channels.FileChannel image, boolean readOnly) {
        own();
        if (!vcpu.domain().privileged()) {
            return -org.parasol.hypercall.Errno.EPERM;
        }
        // Only the JDK's own channel: any other would run dom0's code on the target's vCPUs.
        if (image == null || image.getClass().getModule() != java.nio.channels.FileChannel.class.getModule()) {
            return -org.parasol.hypercall.Errno.EINVAL;
        }
        Domain target = host.lookup(domid);
        if (target == null) {
            return -org.parasol.hypercall.Errno.ESRCH;
        }
        long sectors;
        try {
            sectors = image.size() / org.parasol.hypercall.x86.Platform.ATA_SECTOR;
        } catch (java.io.IOException e) {
            return -org.parasol.hypercall.Errno.EIO;
        }
        if (sectors == 0 || sectors > org.parasol.hypervisor.hvm.AtaDisk.MAX_SECTORS) {
            return -org.parasol.hypercall.Errno.EINVAL;
        }
        return target.attachAta(new org.parasol.hypervisor.hvm.AtaDisk(image, sectors, readOnly));
    }

    /** One frame on its way between dom0's memory and a card, made on first use. */
    private java.lang.foreign.MemorySegment nicStaging;

    private java.lang.foreign.MemorySegment nicStaging() {
        if (nicStaging == null) {
            nicStaging = java.lang.foreign.MemorySegment.ofArray(new byte[org.parasol.hypervisor.hvm.Ne2000.MAX_FRAME]);
        }
        return nicStaging;
    }

    @Override
    public long attachEmulatedNic(int domid, byte[] mac) {
        own();
        if (!vcpu.domain().privileged()) {
            return -org.parasol.hypercall.Errno.EPERM;
        }
        if (mac == null || mac.length != 6 || (mac[0] & 1) != 0) {
            return -org.parasol.hypercall.Errno.EINVAL;
        }
        Domain target = host.lookup(domid);
        if (target == null) {
            return -org.parasol.hypercall.Errno.ESRCH;
        }
        return target.attachNic(vcpu.domain(), mac.clone());
    }

    /** The live domain {@code domid}'s card served by the calling domain, or null. */
    private EmulatedNic servedNic(int domid) {
        Domain target = host.lookup(domid);
        EmulatedNic nic = target == null ? null : target.nic();
        return nic != null && nic.backend() == vcpu.domain() && target.state() != DomainState.DEAD ? nic : null;
    }

    @Override
    public long emulatedNicDeliver(int domid, long va, int length) {
        own();
        if (!vcpu.domain().privileged()) {
            return -org.parasol.hypercall.Errno.EPERM;
        }
        EmulatedNic nic = servedNic(domid);
        if (nic == null) {
            return -org.parasol.hypercall.Errno.ESRCH;
        }
        if (length < 14 || length > org.parasol.hypervisor.hvm.Ne2000.MAX_FRAME) {
            return -org.parasol.hypercall.Errno.EINVAL;
        }
        java.lang.foreign.MemorySegment staging = nicStaging();
        if (!vcpu.mmu().copyFromGuest(va, staging, 0, length)) {
            return -org.parasol.hypercall.Errno.EFAULT;
        }
        return nic.deliver(staging, length) ? 0 : 1;
    }

    @Override
    public long emulatedNicTake(int domid, long va) {
        own();
        if (!vcpu.domain().privileged()) {
            return -org.parasol.hypercall.Errno.EPERM;
        }
        EmulatedNic nic = servedNic(domid);
        if (nic == null) {
            return -org.parasol.hypercall.Errno.ESRCH;
        }
        java.lang.foreign.MemorySegment staging = nicStaging();
        int n = nic.take(staging);
        if (n > 0 && !vcpu.mmu().copyToGuest(staging, 0, va, n)) {
            return -org.parasol.hypercall.Errno.EFAULT;
        }
        return n;
    }

    private void own() {
        vcpu.enterFromGuest();
    }

    @Override
    public String toString() {
        return "vCPU " + vcpu.id() + " of " + vcpu.domain().name();
    }

}
