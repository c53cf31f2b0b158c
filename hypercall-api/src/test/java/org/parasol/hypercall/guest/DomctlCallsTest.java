package org.parasol.hypercall.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.Domctl;
import org.parasol.hypercall.struct.ParasolDomctlLoadImage;
import org.parasol.hypercall.struct.VcpuGuestContext;
import org.parasol.hypercall.struct.XenDomctl;
import org.parasol.hypercall.struct.XenDomctlCreatedomain;
import org.parasol.hypercall.struct.XenDomctlGetdomaininfo;
import org.parasol.hypercall.struct.XenDomctlVcpucontext;

class DomctlCallsTest {
    private static final long PAGE = FakeGuest.ARGUMENT_PAGE_VA;
    private final FakeGuest guest = new FakeGuest();
    private final DomctlCalls domctl = new DomctlCalls(guest, new ArgumentPage(PAGE));

    /** The xen_domctl the call passed, as the hypervisor saw it. */
    private static XenDomctl sent(FakeGuest.Call call) {
        SegmentBuffer copy = SegmentBuffer.allocate(XenDomctl.SIZE);
        byte[] bytes = call.bytesAt(call.a1(), (int) XenDomctl.SIZE);
        for (int i = 0; i < bytes.length; i++) {
            copy.putByte(i, bytes[i]);
        }
        return new XenDomctl().wrap(copy, 0);
    }

    @Test
    @DisplayName("createdomain: one xen_domctl with the interface version, DOMID_ANY and max_vcpus; the id comes back in domain")
    void shouldMarshalCreatedomainAndReadTheIdBack() {
        guest.hypervisor = (call, mem) -> {
            mem.putShort(call.a1() + XenDomctl.DOMAIN_OFFSET, (short) 7);
            return 0;
        };

        long id = domctl.createDomain(DomId.ANY, 2, new byte[] {1, 2, 3});

        FakeGuest.Call call = guest.onlyCall();
        assertThat(call.nr()).isEqualTo(Hypercall.DOMCTL);
        XenDomctl d = sent(call);
        assertThat(d.cmd()).isEqualTo(Domctl.CREATEDOMAIN);
        assertThat(d.interfaceVersion()).isEqualTo(Domctl.INTERFACE_VERSION);
        assertThat(d.domain()).isEqualTo(DomId.DOMID_ANY);
        byte[] u = call.bytesAt(call.a1() + XenDomctl.U_OFFSET, 68);
        assertThat(u[(int) XenDomctlCreatedomain.MAX_VCPUS_OFFSET]).isEqualTo((byte) 2);
        assertThat(u[(int) XenDomctlCreatedomain.HANDLE_OFFSET + 2]).isEqualTo((byte) 3);
        assertThat(id).isEqualTo(7);
    }

    @Test
    void shouldReturnTheErrnoOfAFailedCreate() {
        guest.hypervisor = (call, mem) -> -Errno.EEXIST;
        assertThat(domctl.createDomain(DomId.of(5), 1, null)).isEqualTo(-Errno.EEXIST);
    }

    @Test
    @DisplayName("getdomaininfo: the union comes back decoded, flags carrying the shutdown code")
    void shouldDecodeGetdomaininfo() {
        guest.hypervisor = (call, mem) -> {
            long u = call.a1() + XenDomctl.U_OFFSET;
            mem.putShort(u + XenDomctlGetdomaininfo.DOMAIN_OFFSET, (short) 9);
            mem.putInt(u + XenDomctlGetdomaininfo.FLAGS_OFFSET, Domctl.DOMINF_SHUTDOWN | (1 << 16));
            mem.putLong(u + XenDomctlGetdomaininfo.TOT_PAGES_OFFSET, 256);
            mem.putInt(u + XenDomctlGetdomaininfo.MAX_VCPU_ID_OFFSET, -1);
            return 0;
        };

        DomctlCalls.DomainInfo info = domctl.getDomainInfo(DomId.of(9));

        assertThat(sent(guest.onlyCall()).cmd()).isEqualTo(Domctl.GETDOMAININFO);
        assertThat(info.domain()).isEqualTo(9);
        assertThat(info.shutdown()).isTrue();
        assertThat(info.shutdownCode()).isEqualTo(1);
        assertThat(info.totPages()).isEqualTo(256);
        assertThat(info.maxVcpuId()).isEqualTo(Domctl.INVALID_MAX_VCPU_ID);
    }

    @Test
    @DisplayName("load image: name and command line on the page, their addresses and lengths in the union; OUT fields read back")
    void shouldMarshalTheLoadImageCommand() {
        guest.hypervisor = (call, mem) -> {
            long u = call.a1() + XenDomctl.U_OFFSET;
            mem.putLong(u + ParasolDomctlLoadImage.ENTRY_OFFSET, 0xFFFF_FFFF_C000_0010L);
            mem.putLong(u + ParasolDomctlLoadImage.START_INFO_OFFSET, 0x40_5000L);
            return 0;
        };

        DomctlCalls.LoadedImage loaded = domctl.loadImage(DomId.of(3), "hello", "quiet");

        FakeGuest.Call call = guest.onlyCall();
        XenDomctl d = sent(call);
        assertThat(d.cmd()).isEqualTo(Domctl.PARASOL_LOAD_IMAGE);
        assertThat(d.domain()).isEqualTo(3);
        SegmentBuffer u = SegmentBuffer.allocate(ParasolDomctlLoadImage.SIZE);
        byte[] raw = call.bytesAt(call.a1() + XenDomctl.U_OFFSET, (int) ParasolDomctlLoadImage.SIZE);
        for (int i = 0; i < raw.length; i++) {
            u.putByte(i, raw[i]);
        }
        ParasolDomctlLoadImage l = new ParasolDomctlLoadImage().wrap(u, 0);
        assertThat(new String(call.bytesAt(l.image(), (int) l.imageLen()), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(new String(call.bytesAt(l.cmdline(), (int) l.cmdlineLen()), StandardCharsets.UTF_8)).isEqualTo("quiet");
        assertThat(loaded.result()).isZero();
        assertThat(loaded.entry()).isEqualTo(0xFFFF_FFFF_C000_0010L);
        assertThat(loaded.startInfo()).isEqualTo(0x40_5000L);
    }

    @Test
    @DisplayName("setvcpucontext: the context is written to the caller's buffer and its address passed in ctxt")
    void shouldWriteTheContextAndPassItsAddress() {
        long buffer = FakeGuest.BASE + 0x4000;

        domctl.setVcpuContext(DomId.of(4), 0, buffer, VcpuGuestContext.VGCF_ONLINE, 0x1230, 0x4000, 0x5000, 0x7000);

        FakeGuest.Call call = guest.onlyCall();
        byte[] u = call.bytesAt(call.a1() + XenDomctl.U_OFFSET + XenDomctlVcpucontext.CTXT_OFFSET, 8);
        assertThat(java.nio.ByteBuffer.wrap(u).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong()).isEqualTo(buffer);
        assertThat(guest.memory.getLong(buffer + VcpuGuestContext.USER_REGS_RIP_OFFSET)).isEqualTo(0x1230);
        assertThat(guest.memory.getLong(buffer + VcpuGuestContext.CTRLREG3_OFFSET)).isEqualTo(0x7000);
        assertThat(guest.memory.getLong(buffer + VcpuGuestContext.FLAGS_OFFSET)).isEqualTo(VcpuGuestContext.VGCF_ONLINE);
    }
}
