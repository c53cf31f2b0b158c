package org.parasol.toolstack.dom0;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** dom0's boot module: the domains it builds, one a line, read as if the host were hostile. */
class DomainListTest {

    private static List<DomainSpec> parse(String text) {
        return DomainList.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("a line with every key gives that domain; escapes decode; comments, blank lines and CRLF are skipped")
    void shouldReadEveryKey() {
        List<DomainSpec> specs = parse("""
                # the run's domains\r
                \r
                name=web-1 image=hello memory=8192 maxmem=16384 vcpus=2 cmdline=console%3Dhvc0%20quiet%25 \
                on_poweroff=preserve on_reboot=destroy on_crash=restart\r
                """);

        assertThat(specs).containsExactly(new DomainSpec("web-1", "hello", 8192, 16384, 2, "console=hvc0 quiet%",
                DomainSpec.Action.PRESERVE, DomainSpec.Action.DESTROY, DomainSpec.Action.RESTART));
    }

    @Test
    @DisplayName("only image is required: dom0 names it; 4096 KiB, maxmem = memory, 1 vCPU, xl's default actions")
    void shouldApplyTheDefaults() {
        assertThat(parse("image=ticker\nimage=hello memory=2048\n")).containsExactly(
                new DomainSpec(null, "ticker", 4096, 4096, 1, "", DomainSpec.Action.DESTROY, DomainSpec.Action.RESTART,
                        DomainSpec.Action.DESTROY),
                new DomainSpec(null, "hello", 2048, 2048, 1, "", DomainSpec.Action.DESTROY, DomainSpec.Action.RESTART,
                        DomainSpec.Action.DESTROY));
        assertThat(parse("")).isEmpty();
    }

    @Test
    @DisplayName("what line() writes, parse() reads back, whatever bytes the command line holds")
    void shouldRoundTripALine() {
        DomainSpec spec = new DomainSpec("a.b_c-1", "hello", 4096, 8192, 3, "k=v \"quoted\" %20 #not-a-comment = \\",
                DomainSpec.Action.RESTART, DomainSpec.Action.PRESERVE, DomainSpec.Action.DESTROY);

        assertThat(DomainList.line(spec)).doesNotContain(" =").doesNotContain("\"");
        assertThat(parse(DomainList.line(spec) + "\n")).containsExactly(spec);
    }

    @Test
    @DisplayName("the credit scheduler's words: cpu_weight, cap, pool (an id), cpus and cpus_soft; written back only when set")
    void shouldReadAndRoundTripSchedulingWords() {
        List<DomainSpec> specs = parse("name=w image=hello cpu_weight=512 cap=50 pool=1 cpus=0-1%2c3 cpus_soft=1\n"
                + "name=p image=hello\n");

        assertThat(specs.get(0).sched()).isEqualTo(new SchedSpec(512, 50, 1, "0-1,3", "1"));
        assertThat(specs.get(1).sched()).isEqualTo(SchedSpec.DEFAULT);
        assertThat(DomainList.line(specs.get(1))).doesNotContain("cpu_weight").doesNotContain("pool");
        assertThat(parse(DomainList.line(specs.get(0)) + "\n")).containsExactly(specs.get(0));
    }

    @ParameterizedTest(name = "{1}")
    @DisplayName("a scheduling word out of range refuses the module")
    @CsvSource(delimiter = '|', textBlock = """
            image=hello cpu_weight=65536         | line 1: cpu_weight must be at most 65535, cap 65534, pool a cpupool id
            image=hello cap=70000                | line 1: cpu_weight must be at most 65535, cap 65534, pool a cpupool id
            image=hello cpus=0-                  | line 1: cpus must be pCPU numbers and ranges such as 0-3,6: '0-'
            image=hello cpus_soft=5-2            | line 1: cpus_soft: '5-2' is not a range of pCPUs below 4096
            image=hello cpus=4096                | line 1: cpus: '4096' is not a range of pCPUs below 4096
            image=hello pool=-1                  | line 1: pool must be a decimal number below 10^12: '-1'
            """)
    void shouldRefuseBadSchedulingWords(String line, String message) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse(line + "\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Test
    @DisplayName("a CPU list becomes an xenctl_bitmap of whole bytes: 0-1,9 is 0x03 0x02 in 16 bits")
    void shouldMakeBitmaps() {
        assertThat(SchedSpec.bitmap("0-1,9")).containsExactly(0x03, 0x02);
        assertThat(SchedSpec.nrBits("0-1,9")).isEqualTo(16);
        assertThat(SchedSpec.bitmap("7")).containsExactly(0x80);
    }

    @ParameterizedTest(name = "{1}")
    @DisplayName("a hostile line refuses the whole module, naming the line and what is wrong")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            name=x                                           | line 2: no image
            image=hello image=ticker                         | line 2: key 'image' given twice
            image=hello colour=blue                          | line 2: unknown key 'colour'
            image=hello cmdline                              | line 2: 'cmdline' is not key=value
            image=hello =x                                   | line 2: '=x' is not key=value
            image=hello cmdline=a%2                          | line 2: a '%' without two hex digits
            image=hello cmdline=a%zz                         | line 2: a '%' without two hex digits
            image=hello cmdline=a=b                          | line 2: a byte that must be escaped: 0x3d
            image=hello cmdline=a"b                          | line 2: a byte that must be escaped: 0x22
            image=hello cmdline=%ff                          | line 2: the command line must be at most 1023 printable ASCII
            image=hello cmdline=%0a                          | line 2: the command line must be at most 1023 printable ASCII
            image=../etc                                     | line 2: a byte that must be escaped: 0x2f
            image=..                                         | line 2: not an image name
            image=hello memory=-4                            | line 2: memory must be a decimal number below 10^12: '-4'
            image=hello memory=4096x                         | line 2: memory must be a decimal number below 10^12: '4096x'
            image=hello memory=99999999999999999999          | line 2: memory must be a decimal number below 10^12
            image=hello memory=1002                          | line 2: memory must be a multiple of 4 KiB
            image=hello memory=100                           | line 2: memory must be a multiple of 4 KiB from 256 KiB
            image=hello memory=8192 maxmem=4096              | line 2: maxmem must be a multiple of 4 KiB, at least memory
            image=hello vcpus=0                              | line 2: vcpus must be 1..32: 0
            image=hello vcpus=4294967297                     | line 2: vcpus must be 1..32: 4294967297
            image=hello on_crash=coredump-restart            | line 2: on_crash: 'coredump-restart' is not destroy, restart or preserve
            name=Domain-0 image=hello                        | line 2: not a domain name
            name=a%20b image=hello                           | line 2: not a domain name
            """)
    void shouldRefuseAHostileLine(String line, String message) {
        assertThatThrownBy(() -> parse("image=hello\n" + line + "\nimage=ticker\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(message);
    }

    @Test
    @DisplayName("a name given twice, an overlong line and more than 1024 domains are refused")
    void shouldRefuseWhatWouldExhaustDom0() {
        assertThatThrownBy(() -> parse("name=a image=hello\nname=a image=ticker\n")).hasMessage(
                "line 2: the name 'a' is given twice");
        assertThatThrownBy(() -> parse("image=hello cmdline=" + "x".repeat(DomainList.LINE_MAX) + "\n"))
                .hasMessage("line 1: longer than 4096 bytes");
        assertThatThrownBy(() -> parse("image=hello\n".repeat(DomainList.DOMAINS_MAX + 1)))
                .hasMessage("line 1025: more than 1024 domains");
        assertThat(parse("image=hello\n".repeat(DomainList.DOMAINS_MAX))).hasSize(DomainList.DOMAINS_MAX);
    }

    @Test
    @DisplayName("bytes that are not UTF-8 never get past the escape check")
    void shouldRefuseRawBytes() {
        byte[] module = {'i', 'm', 'a', 'g', 'e', '=', 'h', (byte) 0xc3, (byte) 0x28, '\n'};
        assertThatThrownBy(() -> DomainList.parse(module)).hasMessageStartingWith("line 1: a byte that must be escaped");
    }

    @Test
    @DisplayName("dom0 reads the module parasol run writes (the golden text parasol-cli's Dom0ModuleTest pins the CLI to)")
    void shouldReadTheCliGoldenModule() {
        // Also in parasol-cli's Dom0ModuleTest.GOLDEN: change both or neither.
        String golden = """
                # parasol run: the domains dom0 builds, one a line
                name=web-1 image=hello memory=8192 maxmem=16384 vcpus=2 cmdline=console%3dhvc0%20q%3d%22a%20b%22%20100%25 \
                on_poweroff=destroy on_reboot=restart on_crash=preserve
                name=hello image=hello memory=4096 maxmem=4096 vcpus=1 cmdline= on_poweroff=destroy on_reboot=destroy \
                on_crash=destroy
                name=ping image=pingpong memory=4096 maxmem=4096 vcpus=1 cmdline=rounds%3d5 on_poweroff=destroy \
                on_reboot=destroy on_crash=destroy device=pingpong%3abackend%3dhello
                """;

        assertThat(parse(golden)).containsExactly(
                new DomainSpec("web-1", "hello", 8192, 16384, 2, "console=hvc0 q=\"a b\" 100%", DomainSpec.Action.DESTROY,
                        DomainSpec.Action.RESTART, DomainSpec.Action.PRESERVE),
                new DomainSpec("hello", "hello", 4096, 4096, 1, "", DomainSpec.Action.DESTROY, DomainSpec.Action.DESTROY,
                        DomainSpec.Action.DESTROY),
                new DomainSpec("ping", "pingpong", 4096, 4096, 1, "rounds=5", DomainSpec.Action.DESTROY,
                        DomainSpec.Action.DESTROY, DomainSpec.Action.DESTROY,
                        List.of(new DeviceSpec("pingpong", 0, "hello"))));
    }

    @Test
    @DisplayName("device= repeats, one a split device: its back end named on an earlier line; devids given or the lowest free")
    void shouldReadDevices() {
        List<DomainSpec> specs = parse("""
                name=pong image=pingpong
                name=dd image=hello
                name=ping image=pingpong device=pingpong%3abackend%3dpong device=vbd%3avdev%3dxvda%2cbackend%3ddd%2ctarget%3d%2fsrv%2fa%2cb.img \
                device=pingpong%3abackend%3ddd%2cdevid%3d0 device=pingpong%3abackend%3ddd
                """);

        assertThat(specs.get(0).devices()).isEmpty();
        assertThat(specs.get(2).devices()).containsExactly(new DeviceSpec("pingpong", 1, "pong"),
                new DeviceSpec("vbd", 51712, "dd", java.util.Map.of("vdev", "xvda", "access", "rw", "target", "/srv/a,b.img")),
                new DeviceSpec("pingpong", 0, "dd"), new DeviceSpec("pingpong", 2, "dd"));
        assertThat(parse(DomainList.line(specs.get(0)) + "\n" + DomainList.line(specs.get(1)) + "\n"
                + DomainList.line(specs.get(2)) + "\n")).as("line() writes what parse() reads").isEqualTo(specs);
        assertThat(DomainList.line(specs.get(2))).contains(" device=pingpong%3abackend%3dpong%2cdevid%3d1 ");
    }

    @Test
    @DisplayName("a vif takes xl's vif keys; without a mac it gets one in 00:16:3e from its domain and devid")
    void shouldReadVifs() {
        DeviceSpec v = DeviceSpec.parse("vif:mac=00:16:3E:AA:00:01,bridge=br1,ip=10.0.0.2");
        assertThat(v.isVif()).isTrue();
        assertThat(v.backend()).isEqualTo(DeviceSpec.DOM0);
        assertThat(v.mac(5)).isEqualTo("00:16:3e:aa:00:01");
        assertThat(v.vifBackendKeys(5)).containsEntry("bridge", "br1").containsEntry("ip", "10.0.0.2");
        assertThat(DeviceSpec.parse(v.value())).isEqualTo(v);
        DeviceSpec plain = DeviceSpec.parse("vif:bridge=xenbr0").withDevid(2);
        assertThat(plain.mac(7)).isEqualTo("00:16:3e:00:07:02");
        assertThat(plain.vifFrontendKeys(7)).containsEntry("handle", "2").containsEntry("mac", "00:16:3e:00:07:02");
        assertThatThrownBy(() -> DeviceSpec.parse("vif:mac=01:00:5e:00:00:01")).hasMessageContaining("multicast");
        assertThatThrownBy(() -> DeviceSpec.parse("vif:ip=1.2.3")).hasMessageContaining("ip must be");
        assertThatThrownBy(() -> DeviceSpec.parse("vif:model=e1000")).hasMessageContaining("unknown key");
    }

    @Test
    @DisplayName("a disk takes xl's disk keys, dom0 as its default back end, its vdev's number as devid; bad ones are refused")
    void shouldReadDisks() {
        DeviceSpec d = DeviceSpec.parse("vbd:vdev=xvdb,access=ro,target=/srv/a,b.img");
        assertThat(d.devid()).isEqualTo(51728);
        assertThat(d.backend()).isEqualTo(DeviceSpec.DOM0);
        assertThat(d.readOnly()).isTrue();
        assertThat(d.backendKeys()).containsEntry("params", "/srv/a,b.img").containsEntry("mode", "r")
                .containsEntry("dev", "xvdb").containsEntry("device-type", "disk");
        assertThat(d.frontendKeys()).containsEntry("virtual-device", "51728");
        assertThat(DeviceSpec.parse(d.value())).isEqualTo(d);
        assertThatThrownBy(() -> DeviceSpec.parse("vbd:target=/a")).hasMessageContaining("no vdev=");
        assertThatThrownBy(() -> DeviceSpec.parse("vbd:vdev=xvda")).hasMessageContaining("no target=");
        assertThatThrownBy(() -> DeviceSpec.parse("vbd:vdev=hda,target=/a")).hasMessageContaining("vdev must be");
        assertThatThrownBy(() -> DeviceSpec.parse("vbd:vdev=xvda,format=qcow2,target=/a")).hasMessageContaining("only raw");
        assertThatThrownBy(() -> DeviceSpec.parse("vbd:vdev=xvda,access=x,target=/a")).hasMessageContaining("access must be");
    }

    @ParameterizedTest(name = "{1}")
    @DisplayName("a hostile device refuses the whole module, naming the line and what is wrong")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            name=c image=hello device=pingpong%3abackend%3dnobody     | line 3: device pingpong: the back end 'nobody' is not a domain named on an earlier line
            name=c image=hello device=pingpong%3abackend%3dc          | line 3: device pingpong: a domain cannot be its own back end
            image=hello device=pingpong%3abackend%3dlater             | line 3: device pingpong: the back end 'later' is not a domain named on an earlier line
            name=c image=hello device=pingpong                        | line 3: device 'pingpong' is KIND:backend=DOMAIN[,devid=N]
            name=c image=hello device=pingpong:backend=a              | line 3: a byte that must be escaped: 0x3a
            name=c image=hello device=pingpong%3a                     | line 3: device 'pingpong': '' is not key=value
            name=c image=hello device=pingpong%3abackend%3da%2c       | line 3: device 'pingpong': '' is not key=value
            name=c image=hello device=pingpong%3adevid%3d1            | line 3: device 'pingpong': no backend=
            name=c image=hello device=pingpong%3abackend%3da%2ccolour%3dblue | line 3: device 'pingpong': unknown key 'colour'
            name=c image=hello device=pingpong%3abackend%3da%2cbackend%3da   | line 3: device 'pingpong': key 'backend' given twice
            name=c image=hello device=pingpong%3abackend%3da%2cdevid%3d-1    | line 3: device 'pingpong': devid must be a decimal number
            name=c image=hello device=pingpong%3abackend%3da%2cdevid%3d2147483648 | line 3: device 'pingpong': devid must be a decimal number
            name=c image=hello device=pingpong%3abackend%3da%2cdevid%3d99999999999 | line 3: device 'pingpong': devid must be a decimal number
            name=c image=hello device=Ping%3abackend%3da              | line 3: not a device kind
            name=c image=hello device=%3abackend%3da                  | line 3: not a device kind
            name=c image=hello device=..%2f..%3abackend%3da           | line 3: not a device kind
            name=c image=hello device=pingpong%3abackend%3d..%2fx     | line 3: backend must name a domain
            name=c image=hello device=pingpong%3abackend%3d           | line 3: backend must name a domain
            name=c image=hello device=x%3abackend%3da%2cdevid%3d0 device=x%3abackend%3db%2cdevid%3d0 | line 3: device x 0 is given twice
            """)
    void shouldRefuseAHostileDevice(String line, String message) {
        assertThatThrownBy(() -> parse("name=a image=hello\nname=b image=hello\n" + line + "\nname=later image=hello\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(message);
    }

    @Test
    @DisplayName("more than 16 devices on a domain are refused before any is parsed further")
    void shouldBoundTheDevicesOfADomain() {
        String sixteen = " device=x%3abackend%3da".repeat(DomainSpec.DEVICES_MAX);
        assertThat(parse("name=a image=hello\nimage=hello" + sixteen + "\n").get(1).devices())
                .hasSize(DomainSpec.DEVICES_MAX);
        assertThatThrownBy(() -> parse("name=a image=hello\nimage=hello" + sixteen + " device=x%3abackend%3da\n"))
                .hasMessage("line 2: more than 16 devices");
    }
}
