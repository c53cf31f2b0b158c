package org.parasol.hypervisor.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/**
 * The deny-by-default list and the strict guest parent still run ordinary javac output: the
 * kitchen-sink fixture passes the verifier and runs, loaded by a guest loader under
 * {@link GuestParentLoader#standard()}, without a NoClassDefFoundError.
 */
class KitchenSinkTest {
    private static final String KERNEL = "org.parasol.imagefixtures.KitchenSinkKernel";

    @TempDir
    Path dir;

    @Test
    @DisplayName("javac's lambdas, records, enum and pattern switches, concatenation and try-with-resources pass the verifier")
    void shouldVerifyTheKitchenSink() throws IOException {
        BytecodeVerifier.Result r = BytecodeVerifier.verify(TestImages.fixtureImage(), KERNEL, false);

        assertThat(r.violations()).isEmpty();
        assertThat(r.reachable()).contains(KERNEL, KERNEL + "$Circle", KERNEL + "$Tone", KERNEL + "$Counter");
    }

    @Test
    @DisplayName("the kitchen sink runs under the strict guest parent: every class it links is served")
    void shouldRunTheKitchenSinkUnderTheStrictParent() throws Exception {
        KernelImage image = new ImageLoader(TestImages.repository(dir, false, "KitchenSinkKernel")).load("kitchensink");
        List<Long> hypercalls = new ArrayList<>();
        Cpu cpu = (Cpu) Proxy.newProxyInstance(Cpu.class.getClassLoader(), new Class<?>[] {Cpu.class}, (p, m, args) -> {
            if (m.isDefault()) {
                return InvocationHandler.invokeDefault(p, m, args);
            }
            if (m.getName().equals("hypercall") && args.length == 6) {
                hypercalls.add((Long) args[1]);
                return 0L;
            }
            throw new UnsupportedOperationException(m.getName());
        });

        GuestKernel kernel = image.newKernel(1);
        kernel.boot(cpu, 0);
        String report = (String) kernel.getClass().getMethod("report").invoke(kernel);

        assertThat(kernel.getClass().getClassLoader()).isInstanceOf(GuestClassLoader.class);
        assertThat(report).isEqualTo("circle 2,square 3,low,high,big circle,;"
                + "{RED=1, GREEN=1, BLUE=1};sg2;[16, 4, 0];ff4;in-try,closed;oops 0;"
                + "fmt=42 0000beef 1.50;Circle[r=7]truetrue;big;longstring sint 4;x![1, 2, 3];"
                + "{k=[v]}a[a, bb, ccc][z];{3}<p|q>01ab;it2it1hello guest2;5qtrue15002;"
                + "746603true-3;done");
        assertThat(hypercalls).containsExactly((long) report.length());
    }
}
