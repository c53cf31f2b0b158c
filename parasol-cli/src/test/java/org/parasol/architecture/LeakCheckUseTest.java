package org.parasol.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.archfixture.BootsWithoutLeakCheck;

/**
 * Every test that boots a hypervisor runs under the leak check (pv-hypervisor's
 * {@code LeakCheck}): a test class (with its nested and anonymous classes and lambdas) that
 * calls {@code Hypervisor.boot} must also call {@code LeakCheck.track}. Benchmarks and the
 * command line's main code boot hosts too; they are not tests.
 */
class LeakCheckUseTest {
    private static final String HYPERVISOR = "org.parasol.hypervisor.Hypervisor";
    private static final String LEAK_CHECK = "org.parasol.hypervisor.testing.LeakCheck";

    /** The top-level test classes that boot a hypervisor, and those of them that never track one. */
    record Boots(Set<String> booting, Set<String> untracked) {
    }

    static Boots boots(JavaClasses classes) {
        Set<String> booting = new TreeSet<>();
        Set<String> tracking = new TreeSet<>();
        for (JavaClass c : classes) {
            if (!ParasolModules.TEST_CODE.test(c)) {
                continue;
            }
            String name = c.getName();
            String top = name.contains("$") ? name.substring(0, name.indexOf('$')) : name;
            for (JavaMethodCall call : c.getMethodCallsFromSelf()) {
                String owner = call.getTargetOwner().getName();
                if (owner.equals(HYPERVISOR) && call.getName().equals("boot")) {
                    booting.add(top);
                } else if (owner.equals(LEAK_CHECK) && call.getName().equals("track")) {
                    tracking.add(top);
                }
            }
        }
        Set<String> untracked = new TreeSet<>(booting);
        untracked.removeAll(tracking);
        return new Boots(booting, untracked);
    }

    @Test
    @DisplayName("Every test class that boots a hypervisor hands it to the leak check")
    void shouldTrackEveryHypervisorATestBoots() {
        Boots b = boots(ParasolModules.real());
        assertThat(b.booting()).as("the tests that boot hypervisors were found")
                .contains("org.parasol.hypervisor.LifecycleTest", "org.parasol.cli.PingpongTest")
                .hasSizeGreaterThan(20);
        assertThat(b.untracked()).isEmpty();
    }

    @Test
    @DisplayName("The rule is not vacuous: a class that boots a hypervisor and never tracks it breaks it")
    void shouldCatchABootWithoutTheLeakCheck() {
        assertThat(boots(ParasolModules.withFixtures()).untracked()).containsExactly(BootsWithoutLeakCheck.class.getName());
    }
}
