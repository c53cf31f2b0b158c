package org.parasol.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.control.v1.ControlProto;
import org.parasol.control.v1.CreateDomainReply;
import org.parasol.control.v1.CreateDomainRequest;
import org.parasol.control.v1.DestroyDomainReply;
import org.parasol.control.v1.Disk;
import org.parasol.control.v1.DiskAccess;
import org.parasol.control.v1.DiskFormat;
import org.parasol.control.v1.DomainAction;
import org.parasol.control.v1.DomainConfig;
import org.parasol.control.v1.DomainInfo;
import org.parasol.control.v1.DomainRef;
import org.parasol.control.v1.DomainState;
import org.parasol.control.v1.ListDomainsReply;
import org.parasol.control.v1.NetworkInterface;
import org.parasol.control.v1.PauseDomainReply;
import org.parasol.control.v1.ShutdownDomainRequest;
import org.parasol.control.v1.ShutdownReason;

/** The control API's messages as generated from {@code parasol/control/v1/control.proto}. */
class ControlMessagesTest {

    private static DomainConfig fullConfig() {
        return DomainConfig.newBuilder()
                .setName("blk-demo")
                .setMemoryMib(64)
                .setMaxmemMib(128)
                .setVcpus(2)
                .setKernel("parasol-blk-demo")
                .setCmdline("console=hvc0 loglevel=7")
                .setPrivileged(false)
                .addDisks(Disk.newBuilder()
                        .setTarget("/var/lib/parasol/blk-demo.img")
                        .setVdev("xvda")
                        .setAccess(DiskAccess.DISK_ACCESS_READ_WRITE)
                        .setFormat(DiskFormat.DISK_FORMAT_RAW))
                .addDisks(Disk.newBuilder()
                        .setTarget("/var/lib/parasol/seed.iso")
                        .setVdev("xvdb")
                        .setAccess(DiskAccess.DISK_ACCESS_READ_ONLY)
                        .setFormat(DiskFormat.DISK_FORMAT_RAW))
                .addVifs(NetworkInterface.newBuilder()
                        .setMac("00:16:3e:12:34:56")
                        .setBridge("xenbr0")
                        .setIp("10.0.0.2"))
                .addVifs(NetworkInterface.newBuilder()
                        .setMac("00:16:3e:12:34:57")
                        .setBridge("xenbr1"))
                .setOnPoweroff(DomainAction.DOMAIN_ACTION_DESTROY)
                .setOnReboot(DomainAction.DOMAIN_ACTION_RESTART)
                .setOnCrash(DomainAction.DOMAIN_ACTION_COREDUMP_RESTART)
                .build();
    }

    @Test
    void shouldRoundTripAFullDomainConfigThroughBytes() throws InvalidProtocolBufferException {
        DomainConfig config = fullConfig();

        byte[] wire = config.toByteArray();
        DomainConfig back = DomainConfig.parseFrom(wire);

        assertThat(back).isEqualTo(config);
        assertThat(back.getName()).isEqualTo("blk-demo");
        assertThat(back.getMemoryMib()).isEqualTo(64);
        assertThat(back.getMaxmemMib()).isEqualTo(128);
        assertThat(back.getVcpus()).isEqualTo(2);
        assertThat(back.getKernel()).isEqualTo("parasol-blk-demo");
        assertThat(back.getCmdline()).isEqualTo("console=hvc0 loglevel=7");
        assertThat(back.getDisksList()).extracting(Disk::getVdev).containsExactly("xvda", "xvdb");
        assertThat(back.getDisks(1).getAccess()).isEqualTo(DiskAccess.DISK_ACCESS_READ_ONLY);
        assertThat(back.getVifs(0).hasIp()).isTrue();
        assertThat(back.getVifs(0).getIp()).isEqualTo("10.0.0.2");
        assertThat(back.getVifs(1).hasIp()).isFalse();
        assertThat(back.getOnCrash()).isEqualTo(DomainAction.DOMAIN_ACTION_COREDUMP_RESTART);
    }

    @Test
    @DisplayName("Unset fields read as their zero value: *_UNSPECIFIED enums, empty strings and lists")
    void shouldReadUnsetFieldsAsDefaults() throws InvalidProtocolBufferException {
        DomainConfig empty = DomainConfig.parseFrom(new byte[0]);

        assertThat(empty).isEqualTo(DomainConfig.getDefaultInstance());
        assertThat(empty.getName()).isEmpty();
        assertThat(empty.getMemoryMib()).isZero();
        assertThat(empty.getMaxmemMib()).isZero();
        assertThat(empty.getVcpus()).isZero();
        assertThat(empty.getKernel()).isEmpty();
        assertThat(empty.getCmdline()).isEmpty();
        assertThat(empty.getPrivileged()).isFalse();
        assertThat(empty.getDisksList()).isEmpty();
        assertThat(empty.getVifsList()).isEmpty();
        assertThat(empty.getOnPoweroff()).isEqualTo(DomainAction.DOMAIN_ACTION_UNSPECIFIED);
        assertThat(empty.getOnReboot()).isEqualTo(DomainAction.DOMAIN_ACTION_UNSPECIFIED);
        assertThat(empty.getOnCrash()).isEqualTo(DomainAction.DOMAIN_ACTION_UNSPECIFIED);

        Disk disk = Disk.getDefaultInstance();
        assertThat(disk.getAccess()).isEqualTo(DiskAccess.DISK_ACCESS_UNSPECIFIED);
        assertThat(disk.getFormat()).isEqualTo(DiskFormat.DISK_FORMAT_UNSPECIFIED);
        assertThat(NetworkInterface.getDefaultInstance().hasIp()).isFalse();

        DomainInfo info = DomainInfo.getDefaultInstance();
        assertThat(info.getState()).isEqualTo(DomainState.DOMAIN_STATE_UNSPECIFIED);
        assertThat(info.getShutdownReason()).isEqualTo(ShutdownReason.SHUTDOWN_REASON_UNSPECIFIED);

        ShutdownDomainRequest shutdown = ShutdownDomainRequest.getDefaultInstance();
        assertThat(shutdown.getReason()).isEqualTo(ShutdownReason.SHUTDOWN_REASON_UNSPECIFIED);
        assertThat(shutdown.getWait()).isFalse();
        assertThat(shutdown.hasDomain()).isFalse();
    }

    @Test
    @DisplayName("Every encoded field is on the wire: a full config is not the empty message")
    void shouldEncodeOnlySetFields() {
        assertThat(DomainConfig.getDefaultInstance().toByteArray()).isEmpty();
        assertThat(fullConfig().toByteArray()).isNotEmpty();
        assertThat(fullConfig().toBuilder().clearOnCrash().build().toByteArray())
                .hasSizeLessThan(fullConfig().toByteArray().length);
    }

    @Test
    @DisplayName("A reply without an error is a success; with one, it carries the Xen errno")
    void shouldTellSuccessFromFailureByTheErrorField() throws InvalidProtocolBufferException {
        assertThat(PauseDomainReply.getDefaultInstance().hasError()).isFalse();
        assertThat(DestroyDomainReply.getDefaultInstance().hasError()).isFalse();
        assertThat(ListDomainsReply.getDefaultInstance().hasError()).isFalse();

        var failed = CreateDomainReply.newBuilder()
                .setError(org.parasol.control.v1.Error.newBuilder()
                        .setCode(17)
                        .setMessage("domain blk-demo already exists"))
                .build();
        var back = CreateDomainReply.parseFrom(failed.toByteArray());

        assertThat(back.hasError()).isTrue();
        assertThat(back.getError().getCode()).isEqualTo(17);
        assertThat(back.getError().getMessage()).isEqualTo("domain blk-demo already exists");
        assertThat(back.hasDomain()).isFalse();
    }

    @Test
    @DisplayName("dom0 is domid 0: a DomainRef naming domid 0 is set, an empty one is not")
    void shouldTellDomidZeroFromAnUnsetDomainRef() throws InvalidProtocolBufferException {
        DomainRef dom0 = DomainRef.parseFrom(DomainRef.newBuilder().setDomid(0).build().toByteArray());
        DomainRef byName = DomainRef.newBuilder().setName("blk-demo").build();

        assertThat(dom0.getIdCase()).isEqualTo(DomainRef.IdCase.DOMID);
        assertThat(dom0.getDomid()).isZero();
        assertThat(byName.getIdCase()).isEqualTo(DomainRef.IdCase.NAME);
        assertThat(DomainRef.getDefaultInstance().getIdCase()).isEqualTo(DomainRef.IdCase.ID_NOT_SET);
    }

    @Test
    @DisplayName("A peer's unknown enum number survives parsing as UNRECOGNIZED with its raw value")
    void shouldKeepAnUnknownActionNumber() throws IOException {
        // Field 12 (on_crash), varint wire type, value 99: a number this version does not know.
        var bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeEnum(12, 99);
        out.flush();

        DomainConfig parsed = DomainConfig.parseFrom(bytes.toByteArray());

        assertThat(parsed.getOnCrash()).isEqualTo(DomainAction.UNRECOGNIZED);
        assertThat(parsed.getOnCrashValue()).isEqualTo(99);
        assertThat(parsed.toByteArray()).isEqualTo(bytes.toByteArray());
    }

    @Test
    void shouldCarryTheWholeConfigInACreateRequest() throws InvalidProtocolBufferException {
        var request = CreateDomainRequest.newBuilder().setConfig(fullConfig()).setPaused(true).build();

        var back = CreateDomainRequest.parseFrom(request.toByteArray());

        assertThat(back.getConfig()).isEqualTo(fullConfig());
        assertThat(back.getPaused()).isTrue();
    }

    @Test
    @DisplayName("The ParasolControl service declares the six lifecycle calls (messages only, no gRPC stubs)")
    void shouldDeclareTheLifecycleService() {
        var service = ControlProto.getDescriptor().findServiceByName("ParasolControl");

        assertThat(service).isNotNull();
        assertThat(service.getMethods())
                .extracting(m -> m.getName() + ":" + m.getInputType().getName() + "->" + m.getOutputType().getName())
                .containsExactly(
                        "CreateDomain:CreateDomainRequest->CreateDomainReply",
                        "ListDomains:ListDomainsRequest->ListDomainsReply",
                        "PauseDomain:PauseDomainRequest->PauseDomainReply",
                        "UnpauseDomain:UnpauseDomainRequest->UnpauseDomainReply",
                        "ShutdownDomain:ShutdownDomainRequest->ShutdownDomainReply",
                        "DestroyDomain:DestroyDomainRequest->DestroyDomainReply");
        assertThat(ControlProto.getDescriptor().getPackage()).isEqualTo("parasol.control.v1");
    }
}
