package org.parasol.drivers.net.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressTest {

    @Test
    void shouldParseAndPrintAMacAddressAsXlWritesIt() {
        MacAddress m = MacAddress.parse("00:16:3E:0a:Bc:ff");
        assertThat(m.bits()).isEqualTo(0x00163e0abcffL);
        assertThat(m).hasToString("00:16:3e:0a:bc:ff");
        assertThat(m.isMulticast()).isFalse();
        assertThat(MacAddress.BROADCAST.isBroadcast()).isTrue();
        assertThat(MacAddress.parse("01:00:5e:00:00:01").isMulticast()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "00:16:3e:00:00", "00:16:3e:00:00:01:02", "00-16-3e-00-00-01", "0:16:3e:00:00:01",
        "00:16:3e:00:00:0g", " 00:16:3e:00:00:01", "00:16:3e:00:00:01 ", "00:16:3e:00:00:+1", "00163e000001",
        "00:16:3e:00:00:١٢"})
    void shouldRefuseAnythingButSixTwoDigitHexOctets(String text) {
        assertThatThrownBy(() -> MacAddress.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a MAC address");
    }

    @Test
    void shouldRefuseMoreThan48Bits() {
        assertThatThrownBy(() -> new MacAddress(1L << 48)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MacAddress.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldParseAndPrintDottedDecimal() {
        assertThat(Ipv4Address.parse("10.0.0.2").bits()).isEqualTo(0x0A000002);
        assertThat(Ipv4Address.parse("255.255.255.255")).isEqualTo(Ipv4Address.BROADCAST);
        assertThat(Ipv4Address.parse("0.0.0.0")).isEqualTo(Ipv4Address.ANY);
        assertThat(Ipv4Address.of(192, 168, 1, 200)).hasToString("192.168.1.200");
        assertThat(Ipv4Address.parse("224.0.0.1").isMulticast()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10.0.0", "10.0.0.2.", "10.0.0.2.1", "10.0.0.256", "10.0.0.1000", "010.0.0.2",
        "10.0.0.-2", "10.0.0.+2", " 10.0.0.2", "10.0.0.2 ", "10..0.2", "0x0A.0.0.2", "10.0.0.2/24", "१०.0.0.2",
        "4294967295", "10.0.0.2\n"})
    void shouldRefuseAnythingButFourStrictDecimalOctets(String text) {
        assertThatThrownBy(() -> Ipv4Address.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an IPv4 address");
    }

    @Test
    void shouldReadIpAndGatewayFromOptions() {
        Ipv4Settings s = Ipv4Settings.parse("quiet ip=10.0.0.2/16,gw=10.0.255.254 count=3");
        assertThat(s.address()).isEqualTo(Ipv4Address.parse("10.0.0.2"));
        assertThat(s.prefixLength()).isEqualTo(16);
        assertThat(s.gateway()).isEqualTo(Ipv4Address.parse("10.0.255.254"));
        assertThat(Ipv4Settings.parse("ip=10.0.0.2")).isEqualTo(new Ipv4Settings(Ipv4Address.parse("10.0.0.2"), 24,
                Ipv4Address.ANY));
        assertThatThrownBy(() -> Ipv4Settings.parse("gw=10.0.0.1")).hasMessageContaining("no ip=");
        assertThatThrownBy(() -> Ipv4Settings.parse("ip=10.0.0.2/33")).hasMessageContaining("prefix length");
        assertThatThrownBy(() -> Ipv4Settings.parse("ip=10.0.0.2/24 gw=10.0.1.1")).hasMessageContaining("gateway");
        assertThatThrownBy(() -> Ipv4Settings.parse("ip=255.255.255.255")).hasMessageContaining("not an interface");
    }

    @Property
    void anyIpv4AddressPrintsAndParsesBack(@ForAll int bits) {
        Ipv4Address a = new Ipv4Address(bits);
        assertThat(Ipv4Address.parse(a.toString())).isEqualTo(a);
    }

    @Property
    void anyMacAddressPrintsAndParsesBack(@ForAll @LongRange(min = 0, max = 0xFFFF_FFFF_FFFFL) long bits) {
        MacAddress m = new MacAddress(bits);
        assertThat(MacAddress.parse(m.toString())).isEqualTo(m);
        byte[] b = new byte[8];
        m.writeTo(b, 1);
        assertThat(MacAddress.read(b, 1)).isEqualTo(m);
    }
}
