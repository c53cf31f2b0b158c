package org.parasol.control;

import org.parasol.control.v1.DiskFormat;

import org.parasol.control.v1.DiskAccess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.parasol.control.v1.DomainAction;
import org.parasol.control.v1.DomainConfig;

class XlConfigParserTest {

    @Test
    @DisplayName("xl.cfg's syntax: quotes of both kinds, comments, ';' and newlines, lists over lines, last setting wins")
    void shouldReadAConfigAsXlWould() throws Exception {
        DomainConfig c = XlConfigParser.parse("hello.cfg", """
                # A Parasol domain
                name = "hello"   # trailing comment
                memory = 8; vcpus = 2; maxvcpus = 4; maxmem = 32
                kernel = 'hello'
                cmdline = "rounds=5"
                extra = "quiet"
                on_crash = "preserve"
                on_poweroff = 'destroy'
                memory = 16
                """);

        assertThat(c.getName()).isEqualTo("hello");
        assertThat(c.getMemoryMib()).as("the last setting").isEqualTo(16);
        assertThat(c.getVcpus()).isEqualTo(2);
        assertThat(c.getMaxvcpus()).as("xl's maxvcpus: built with 4, 2 online").isEqualTo(4);
        assertThat(c.getMaxmemMib()).isEqualTo(32);
        assertThat(c.getKernel()).isEqualTo("hello");
        assertThat(c.getCmdline()).isEqualTo("rounds=5 quiet");
        assertThat(c.getOnCrash()).isEqualTo(DomainAction.DOMAIN_ACTION_PRESERVE);
        assertThat(c.getOnPoweroff()).isEqualTo(DomainAction.DOMAIN_ACTION_DESTROY);
        assertThat(c.getOnReboot()).isEqualTo(DomainAction.DOMAIN_ACTION_UNSPECIFIED);
    }

    @ParameterizedTest(name = "{1}")
    @DisplayName("every error names the file, the line, the key and what was expected; nothing is built")
    @CsvSource(delimiter = '|', textBlock = """
            name="a"\\nkernel="hello"\\nmemory="lots"           | bad.cfg:3: key 'memory': expected a number of MiB, got 'lots'
            name="a"\\nkernel="hello"\\nmemory=0                | bad.cfg:3: key 'memory': expected a number of MiB from 1 to 1048576, got 0
            name="a"\\nkernel="hello"\\nmemory=8\\nmaxmem=4     | bad.cfg:4: key 'maxmem': expected at least memory (8 MiB), got 4
            name="a"\\nkernel="hello"\\nvcpus=4\\nmaxvcpus=2   | bad.cfg:4: key 'maxvcpus': expected at least vcpus (4), got 2
            name="a"\\nkernel="hello"\\nmaxvcpus=33            | bad.cfg:3: key 'maxvcpus': expected a number of vCPUs from 1 to 32, got 33
            name="a"\\nkernel="hello"\\nvcpus=1000              | bad.cfg:3: key 'vcpus': expected a number of vCPUs from 1 to 32, got 1000
            name="a"\\nkernel="hello"\\non_crash="explode"      | bad.cfg:3: key 'on_crash': expected destroy, restart or preserve, got 'explode'
            name="a"\\nkernel="hello"\\non_crash="coredump-destroy" | bad.cfg:3: key 'on_crash': 'coredump-destroy' is not supported yet (no renaming of dead domains, no core dumps): use destroy, restart or preserve
            name="a"\\nkernel="../x"                            | bad.cfg:2: key 'kernel': expected an image name (such as hello), got '../x'
            name="a b"\\nkernel="hello"                         | bad.cfg:1: key 'name': expected 1 to 64 letters, digits, '_', '.' or '-', got 'a b'
            name="a"\\nkernel="hello"\\nmemroy=8                | bad.cfg:3: unknown key 'memroy' (Parasol understands cap, cmdline, cpu_weight, cpus, cpus_soft, disk, extra, kernel, maxmem, maxvcpus, memory, name, on_crash, on_poweroff, on_reboot, pool, uplink, vcpus, vif, virt)
            name="a"\\nkernel="hello"\\nname = "x\\n                | bad.cfg:3: key 'name': the string is not closed on its line
            name="a"\\nkernel="hello"\\nvcpus 2                  | bad.cfg:3: expected '=' after 'vcpus'
            name="a"\\nkernel="hello"\\ncpu_weight=0             | bad.cfg:3: key 'cpu_weight': expected a weight from 1 to 65535, got 0
            name="a"\\nkernel="hello"\\ncpu_weight=65536         | bad.cfg:3: key 'cpu_weight': expected a weight from 1 to 65535, got 65536
            name="a"\\nkernel="hello"\\ncap=-1                   | bad.cfg:3: key 'cap': expected a percentage of one pCPU (0: no cap) from 0 to 65534, got -1
            name="a"\\nkernel="hello"\\npool="a b"               | bad.cfg:3: key 'pool': expected a cpupool's name (1 to 64 letters, digits, '_', '.' or '-'), got 'a b'
            name="a"\\nkernel="hello"\\ncpus="0-x"               | bad.cfg:3: key 'cpus': expected pCPU numbers and ranges such as "0-3,^2" or "all", got '0-x'
            name="a"\\nkernel="hello"\\ncpus="3-1"               | bad.cfg:3: key 'cpus': '3-1' is not a range of pCPUs below 4096
            name="a"\\nkernel="hello"\\ncpus="0-1,^0-1"          | bad.cfg:3: key 'cpus': '0-1,^0-1' names no pCPU
            name="a"\\nkernel="hello"\\ncpus_soft="nodes:0"      | bad.cfg:3: key 'cpus_soft': NUMA nodes are not supported: name pCPUs
            name="a"\\nkernel="hello"\\ncpus=["0", "1"]          | bad.cfg:3: key 'cpus': the per-vCPU list form is not supported yet; give one CPU list (a string) for every vCPU
            name="a"\\nkernel="hello"\\nvirt="hvm"               | bad.cfg:3: key 'virt': expected "pv", "trap", "bare" or "bt", got 'hvm'
            """)
    void shouldRefuseWithTheLineAndKey(String config, String message) {
        assertThatThrownBy(() -> XlConfigParser.parse("bad.cfg", config.replace("\\n", "\n")))
                .isInstanceOf(XlConfigParser.ConfigException.class).hasMessage(message);
    }

    @Test
    @DisplayName("disk= takes xl's key=value disk specs, target last (commas and all), with Parasol's size=")
    void shouldParseDiskSpecs() throws XlConfigParser.ConfigException {
        DomainConfig c = XlConfigParser.parse("vm.cfg", """
                name = "vm"
                kernel = "hello"
                disk = [ 'format=raw, vdev=xvda, access=rw, target=/tmp/a.img',
                         'vdev=xvdb, access=ro, size=64M, target=/tmp/b,c.img' ]
                """);
        assertThat(c.getDisksList()).hasSize(2);
        assertThat(c.getDisks(0).getVdev()).isEqualTo("xvda");
        assertThat(c.getDisks(0).getTarget()).isEqualTo("/tmp/a.img");
        assertThat(c.getDisks(0).getAccess()).isEqualTo(DiskAccess.DISK_ACCESS_READ_WRITE);
        assertThat(c.getDisks(0).getFormat()).isEqualTo(DiskFormat.DISK_FORMAT_RAW);
        assertThat(c.getDisks(0).getCreateSizeBytes()).isZero();
        assertThat(c.getDisks(1).getTarget()).isEqualTo("/tmp/b,c.img");
        assertThat(c.getDisks(1).getAccess()).isEqualTo(DiskAccess.DISK_ACCESS_READ_ONLY);
        assertThat(c.getDisks(1).getCreateSizeBytes()).isEqualTo(64L << 20);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "'format=qcow2, vdev=xvda, target=/a' | format 'qcow2' is not supported",
        "'vdev=xvda'                           | disk xvda needs target=",
        "'target=/a'                           | a disk needs vdev=",
        "'/a,raw,xvda,rw'                      | not key=value",
        "'vdev=hda, target=/a'                 | vdev must be like xvda",
        "'vdev=xvda, access=x, target=/a'      | access must be rw or ro",
        "'vdev=xvda, size=1000, target=/a'     | size must be a whole number of 512-byte sectors",
        "'vdev=xvda, colour=red, target=/a'    | unknown disk key 'colour'",
        "'vdev=xvda, target=/a', 'vdev=xvda, target=/b' | vdev xvda is given twice",
    })
    @DisplayName("a bad disk spec is refused with the line and what is wrong")
    void shouldRefuseBadDiskSpecs(String specs, String message) {
        assertThatThrownBy(() -> XlConfigParser.parse("vm.cfg", "name='vm'\nkernel='hello'\ndisk=[ " + specs + " ]\n"))
                .isInstanceOf(XlConfigParser.ConfigException.class).hasMessageStartingWith("vm.cfg:3: key 'disk': ")
                .hasMessageContaining(message);
    }

    @Test
    @DisplayName("vif= takes xl's vif specs: mac, bridge, ip; bad ones are refused with the line")
    void shouldParseVifSpecs() throws XlConfigParser.ConfigException {
        DomainConfig c = XlConfigParser.parse("vm.cfg", "name='vm'\nkernel='hello'\n"
                + "vif=[ 'mac=00:16:3E:00:00:01, bridge=xenbr1, ip=10.0.0.2', '' ]\n");
        assertThat(c.getVifsList()).hasSize(2);
        assertThat(c.getVifs(0).getMac()).isEqualTo("00:16:3e:00:00:01");
        assertThat(c.getVifs(0).getBridge()).isEqualTo("xenbr1");
        assertThat(c.getVifs(0).getIp()).isEqualTo("10.0.0.2");
        assertThat(c.getVifs(1).getMac()).isEmpty();
        assertThatThrownBy(() -> XlConfigParser.parse("vm.cfg", "name='vm'\nkernel='hello'\nvif=[ 'mac=00:16:3e' ]\n"))
                .hasMessageStartingWith("vm.cfg:3: key 'vif': mac must be like");
        assertThatThrownBy(() -> XlConfigParser.parse("vm.cfg", "name='vm'\nkernel='hello'\nvif=[ 'ip=10.0.0.256' ]\n"))
                .hasMessageStartingWith("vm.cfg:3: key 'vif': ip must be");
        assertThatThrownBy(() -> XlConfigParser.parse("vm.cfg", "name='vm'\nkernel='hello'\nvif=[ 'model=e1000' ]\n"))
                .hasMessageStartingWith("vm.cfg:3: key 'vif': unknown vif key 'model'");
    }

    @Test
    @DisplayName("the credit scheduler's keys: cpu_weight, cap, pool, and cpus/cpus_soft in xl's CPU-list form, ^ ranges left out")
    void shouldReadSchedulingKeys() throws Exception {
        DomainConfig c = XlConfigParser.parse("sched.cfg", """
                name = "worker"
                kernel = "hello"
                cpu_weight = 512
                cap = 50
                pool = "fast"
                cpus = "0-7,^2-3, 9"
                cpus_soft = "all"
                """);
        assertThat(c.getCpuWeight()).isEqualTo(512);
        assertThat(c.getCap()).isEqualTo(50);
        assertThat(c.getPool()).isEqualTo("fast");
        assertThat(c.getCpus()).isEqualTo("0-1,4-7,9");
        assertThat(c.getCpusSoft()).as("all: no restriction").isEmpty();

        DomainConfig plain = XlConfigParser.parse("plain.cfg", "name='p'\nkernel='hello'\n");
        assertThat(plain.getCpuWeight()).as("unset: the default weight").isZero();
        assertThat(plain.getPool()).isEmpty();
        assertThat(plain.getCpus()).isEmpty();
    }

    @Test
    @DisplayName("uplink= (Parasol's) names a bridge's TAP uplink: netns required, defaults for the rest, bad ones refused")
    void shouldParseTheUplink() throws XlConfigParser.ConfigException {
        DomainConfig c = XlConfigParser.parse("vm.cfg", "name='vm'\nkernel='hello'\n"
                + "uplink='bridge=xenbr1, netns=parasol0, tap=ptap1, ip=10.0.0.1/24'\n");
        assertThat(c.hasUplink()).isTrue();
        assertThat(c.getUplink().getBridge()).isEqualTo("xenbr1");
        assertThat(c.getUplink().getNetns()).isEqualTo("parasol0");
        assertThat(c.getUplink().getTap()).isEqualTo("ptap1");
        assertThat(c.getUplink().getAddress()).isEqualTo("10.0.0.1/24");
        DomainConfig path = XlConfigParser.parse("vm.cfg", "name='vm'\nkernel='hello'\nuplink='netns=/proc/1/ns/net'\n");
        assertThat(path.getUplink().getNetns()).isEqualTo("/proc/1/ns/net");
        assertThat(path.getUplink().getBridge()).isEmpty();
        assertThat(XlConfigParser.parse("vm.cfg", "name='vm'\nkernel='hello'\n").hasUplink()).isFalse();
        assertThatThrownBy(() -> XlConfigParser.parse("vm.cfg", "name='vm'\nkernel='hello'\nuplink='tap=ptap0'\n"))
                .hasMessageStartingWith("vm.cfg:3: key 'uplink': netns is required");
        assertThatThrownBy(() -> XlConfigParser.parse("vm.cfg", "name='vm'\nkernel='hello'\nuplink='netns=a, ip=10.0.0.1'\n"))
                .hasMessageStartingWith("vm.cfg:3: key 'uplink': ip must be an IPv4 address with its prefix length");
        assertThatThrownBy(() -> XlConfigParser.parse("vm.cfg", "name='vm'\nkernel='hello'\nuplink='netns=../x'\n"))
                .hasMessageStartingWith("vm.cfg:3: key 'uplink': netns must be");
        assertThatThrownBy(() -> XlConfigParser.parse("vm.cfg",
                "name='vm'\nkernel='hello'\nuplink='netns=a, tap=a-name-far-too-long'\n"))
                .hasMessageStartingWith("vm.cfg:3: key 'uplink': tap must be");
        assertThatThrownBy(() -> XlConfigParser.parse("vm.cfg", "name='vm'\nkernel='hello'\nuplink=[ 'netns=a' ]\n"))
                .hasMessageStartingWith("vm.cfg:3: key 'uplink': expected one string");
        assertThatThrownBy(() -> XlConfigParser.parse("vm.cfg", "name='vm'\nkernel='hello'\nuplink='netns=a, mtu=9000'\n"))
                .hasMessageStartingWith("vm.cfg:3: key 'uplink': unknown key 'mtu'");
        assertThat(XlConfigParser.parse("vm.cfg", "name='vm'\nkernel='hello'\nuplink='netns=a, offload=0'\n").getUplink()
                .getNoOffload()).isTrue();
        assertThat(XlConfigParser.parse("vm.cfg", "name='vm'\nkernel='hello'\nuplink='netns=a, offload=1'\n").getUplink()
                .getNoOffload()).isFalse();
        assertThatThrownBy(() -> XlConfigParser.parse("vm.cfg", "name='vm'\nkernel='hello'\nuplink='netns=a, offload=yes'\n"))
                .hasMessageStartingWith("vm.cfg:3: key 'uplink': offload must be 0 or 1");
    }

    @Test
    void shouldRequireANameAndAKernel() {
        assertThatThrownBy(() -> XlConfigParser.parse("x.cfg", "kernel='hello'\n")).hasMessageContaining("key 'name' is missing");
        assertThatThrownBy(() -> XlConfigParser.parse("x.cfg", "name='x'\n")).hasMessageContaining("key 'kernel' is missing");
    }
}
