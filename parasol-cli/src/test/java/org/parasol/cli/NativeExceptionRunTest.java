package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A native kernel's exceptions end to end, in each native configuration: {@code faulty msr}
 * reads an MSR the machine has not through {@code rdmsr_safe} and gets -EIO (the kernel's
 * exception table fixed the {@code #GP} up), then through a plain {@code rdmsr}, whose
 * {@code #GP} has no fixup: Linux's oops line on the console, the domain crashed. {@code faulty
 * ud} executes {@code ud2}: "invalid opcode". {@code hello} runs beside it to its end.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NativeExceptionRunTest {

    @ParameterizedTest
    @ValueSource(strings = {"trap", "bt", "bare"})
    void shouldFixUpRdmsrSafeAndOopsOnAPlainRdmsr(String virt) {
        RunOutcome o = RunOutcome.of("faulty", "hello", "--cmdline", "msr", "--virt", virt);
        assertThat(o.status()).as(o.out() + o.err()).isEqualTo(1);
        assertThat(o.out()).contains("[faulty] faulty: rdmsr_safe(0x1f5) = -5, value 0")
                .containsPattern("\\[faulty\\] \\*\\*\\* general protection fault: 0000 \\[#1\\] \\(vector 13\\) "
                        + "RIP: 0010:0x[0-9a-f]+")
                .containsPattern("\\[faulty\\] \tat .*org\\.parasol\\.examples\\.faulty\\.FaultyKernel\\.main")
                .doesNotContain("this line is never printed")
                .containsPattern("faulty +\\d+ crash .*\\(the guest reported a panic \\(pvpanic\\)\\)")
                .containsPattern("hello +\\d+ poweroff");
    }

    @ParameterizedTest
    @ValueSource(strings = {"trap", "bt", "bare"})
    void shouldOopsOnAnInvalidOpcode(String virt) {
        RunOutcome o = RunOutcome.of("faulty", "hello", "--cmdline", "ud", "--virt", virt);
        assertThat(o.status()).as(o.out() + o.err()).isEqualTo(1);
        assertThat(o.out()).contains("[faulty] faulty: executing ud2")
                .containsPattern("\\[faulty\\] \\*\\*\\* invalid opcode: 0000 \\[#1\\] \\(vector 6\\) RIP: 0010:0x[0-9a-f]+")
                .doesNotContain("this line is never printed")
                .containsPattern("faulty +\\d+ crash")
                .containsPattern("hello +\\d+ poweroff");
    }

    @ParameterizedTest
    @ValueSource(strings = {"trap", "bt", "bare"})
    void shouldOopsOnAnInvalidOpcodeOnASecondaryVcpu(String virt) {
        RunOutcome o = RunOutcome.of("faulty", "hello", "--cmdline", "ud vcpu=1", "--vcpus", "2", "--virt", virt);
        assertThat(o.status()).as(o.out() + o.err()).isEqualTo(1);
        // vCPU 1's own IDT has the kernel's #UD gate: the oops, not a triple fault.
        assertThat(o.out()).contains("[faulty] faulty: executing ud2 on vCPU 1")
                .containsPattern("\\[faulty\\] \\*\\*\\* invalid opcode: 0000 \\[#1\\] \\(vector 6\\) RIP: 0010:0x[0-9a-f]+")
                .doesNotContain("this line is never printed").doesNotContain("triple fault")
                .containsPattern("faulty +\\d+ crash .*\\(the guest reported a panic \\(pvpanic\\)\\)")
                .containsPattern("hello +\\d+ poweroff");
    }
}
