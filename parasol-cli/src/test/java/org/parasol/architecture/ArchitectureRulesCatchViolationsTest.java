package org.parasol.architecture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.archfixture.ReachesIntoHypervisor;
import org.parasol.guest.archfixture.ReadsSharedInfoByOffset;

/**
 * Proof that the rules are not vacuous: the same rule objects {@link ArchitectureTest} checks
 * fail once a class that breaks them is among the imported classes.
 */
class ArchitectureRulesCatchViolationsTest {

    @Test
    @DisplayName("A guest class importing org.parasol.hypervisor.HostConfig breaks the guest rule")
    void shouldCatchGuestCodeReachingIntoTheHypervisor() {
        JavaClasses withFixture = ParasolModules.withFixtures();
        assertThat(withFixture.contain(ReachesIntoHypervisor.class)).isTrue();

        assertThatThrownBy(() -> ParasolRules.GUESTS_NEVER_REACH_INTO_THE_HYPERVISOR.check(withFixture))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining(ReachesIntoHypervisor.class.getName())
                .hasMessageContaining("org.parasol.hypervisor.HostConfig");
    }

    @Test
    @DisplayName("The same rule holds once the fixture package is left out")
    void shouldPassWithoutTheFixture() {
        ParasolRules.GUESTS_NEVER_REACH_INTO_THE_HYPERVISOR.check(ParasolModules.real());
    }

    @Test
    @DisplayName("A folder nothing was imported from counts as empty, so the check that each module is non-empty can fail")
    void shouldCountNothingForAFolderOutsideTheImport() {
        JavaClasses all = ParasolModules.withFixtures();

        assertThat(ParasolModules.compiledInto(all, ParasolModules.root().resolve("no-such-module/target/classes"))).isEmpty();
        assertThat(ParasolModules.compiledInto(all, ParasolModules.root().resolve("hypercall-api/target/classes")))
                .isNotEmpty();
    }

    @Test
    @DisplayName("Guest code reading shared_info at literal offsets breaks the flyweight rule; its twin through the flyweight does not")
    void shouldCatchSharedBytesReadByOffset() {
        JavaClasses withFixture = ParasolModules.withFixtures();
        var rule = ParasolRules.decodesOnlyThroughFlyweights(ParasolModules.TEST_CODE,
                new String[] {ParasolModules.FIXTURE_PACKAGE + ".."}, "the fixture package, checked as guest event code is");

        assertThatThrownBy(() -> rule.check(withFixture))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining(ReadsSharedInfoByOffset.class.getName() + ".pendingWord")
                .hasMessageContaining("GuestMemory.getLongAcquire")
                .hasMessageContaining(ReadsSharedInfoByOffset.class.getName() + ".maskWord")
                .hasMessageContaining("MemorySegment.get")
                .hasMessageContaining(ReadsSharedInfoByOffset.class.getName() + ".versionNow")
                .hasMessageContaining("VarHandle.getAcquire")
                .hasMessageNotContaining(ReadsSharedInfoByOffset.class.getName() + ".pendingWordThroughTheFlyweight");
    }
}
