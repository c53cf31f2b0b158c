package org.parasol.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.parasol.control.v1.DestroyDomainRequest;
import org.parasol.control.v1.Disk;
import org.parasol.control.v1.DiskAccess;
import org.parasol.control.v1.DiskFormat;
import org.parasol.control.v1.DomainAction;
import org.parasol.control.v1.DomainConfig;
import org.parasol.control.v1.NetworkInterface;

/** Properties of the control API's encoding: lossless for any config, safe for any bytes. */
class ControlMessagesPropertiesTest {

    @Property(tries = 200)
    void shouldRoundTripAnyDomainConfig(@ForAll("configs") DomainConfig config)
            throws InvalidProtocolBufferException {
        assertThat(DomainConfig.parseFrom(config.toByteArray())).isEqualTo(config);
    }

    @Property(tries = 500)
    void shouldParseHostileBytesIntoAStableMessageOrRejectThem(@ForAll @Size(max = 256) byte[] bytes)
            throws InvalidProtocolBufferException {
        // A peer may send anything. Parsing either reports the bytes as invalid, or yields a
        // message that re-encodes to bytes parsing to the same message (unknown fields kept).
        // Any other exception escaping fails the property.
        for (var parser : List.of(DomainConfig.parser(), DestroyDomainRequest.parser())) {
            MessageLite parsed;
            try {
                parsed = parser.parseFrom(bytes);
            } catch (InvalidProtocolBufferException rejected) {
                continue;
            }
            assertThat(parser.parseFrom(parsed.toByteArray())).isEqualTo(parsed);
        }
    }

    @Provide
    Arbitrary<DomainConfig> configs() {
        Arbitrary<String> text = Arbitraries.strings().ofMaxLength(40);
        Arbitrary<Disk> disk = Combinators.combine(
                text, text,
                Arbitraries.of(DiskAccess.DISK_ACCESS_UNSPECIFIED, DiskAccess.DISK_ACCESS_READ_ONLY,
                        DiskAccess.DISK_ACCESS_READ_WRITE),
                Arbitraries.of(DiskFormat.DISK_FORMAT_UNSPECIFIED, DiskFormat.DISK_FORMAT_RAW,
                        DiskFormat.DISK_FORMAT_QCOW2))
                .as((target, vdev, access, format) -> Disk.newBuilder()
                        .setTarget(target).setVdev(vdev).setAccess(access).setFormat(format).build());
        Arbitrary<NetworkInterface> vif = Combinators.combine(text, text, text.injectNull(0.5))
                .as((mac, bridge, ip) -> {
                    var b = NetworkInterface.newBuilder().setMac(mac).setBridge(bridge);
                    return (ip == null ? b : b.setIp(ip)).build();
                });
        Arbitrary<DomainAction> action = Arbitraries.of(DomainAction.class)
                .filter(a -> a != DomainAction.UNRECOGNIZED);
        Arbitrary<List<Disk>> disks = disk.list().ofMaxSize(4);
        Arbitrary<List<NetworkInterface>> vifs = vif.list().ofMaxSize(4);
        return Combinators.combine(
                        text, Arbitraries.longs(), Arbitraries.longs(), Arbitraries.integers(),
                        text, Arbitraries.of(true, false), disks, vifs)
                .as((name, memory, maxmem, vcpus, cmdline, privileged, ds, vs) -> DomainConfig.newBuilder()
                        .setName(name)
                        .setMemoryMib(memory)
                        .setMaxmemMib(maxmem)
                        .setVcpus(vcpus)
                        .setKernel(name + "-kernel")
                        .setCmdline(cmdline)
                        .setPrivileged(privileged)
                        .addAllDisks(ds)
                        .addAllVifs(vs))
                .flatMap(b -> Combinators.combine(action, action, action)
                        .as((poweroff, reboot, crash) -> b.clone()
                                .setOnPoweroff(poweroff).setOnReboot(reboot).setOnCrash(crash).build()));
    }
}
