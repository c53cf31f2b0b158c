package org.parasol.hypercall.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.struct.Layouts;

class ArgumentPageTest {

    @Test
    void shouldHandOutZeroedEightByteAlignedFramesAsAStack() {
        ArgumentPage page = new ArgumentPage(0x7000);
        long first = page.push(12);
        page.scratch().set(Layouts.U64, first, -1L);
        long second = page.push(4);

        assertThat(first).isZero();
        assertThat(second).isEqualTo(16);
        assertThat(page.address(second)).isEqualTo(0x7010);
        assertThat(page.available()).isEqualTo(4096 - 24);

        page.pop(second);
        page.pop(first);
        long again = page.push(8);
        assertThat(again).isZero();
        assertThat(page.scratch().get(Layouts.U64, again)).as("a reused frame starts zeroed").isZero();
    }

    @Test
    void shouldRefuseAFrameLargerThanTheFreeSpace() {
        ArgumentPage page = new ArgumentPage(0x7000);
        page.push(4000);

        assertThatThrownBy(() -> page.push(97)).isInstanceOf(IllegalStateException.class);
        assertThat(page.push(96)).isEqualTo(4000);
        assertThatThrownBy(() -> page.push(-1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldRefuseToReleaseAFrameAboveTheTop() {
        ArgumentPage page = new ArgumentPage(0x7000);
        long frame = page.push(8);
        page.pop(frame);

        assertThatThrownBy(() -> page.pop(8)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("the argument page is a whole, non-zero guest page")
    void shouldRefuseAnUnalignedOrNullPage() {
        assertThatThrownBy(() -> new ArgumentPage(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ArgumentPage(0x7008)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldCopyBetweenScratchAndTheSameOffsetOfTheGuestPage() {
        FakeGuest guest = new FakeGuest();
        ArgumentPage page = new ArgumentPage(FakeGuest.ARGUMENT_PAGE_VA);
        page.push(16);
        long frame = page.push(8);
        page.scratch().set(Layouts.U64, frame, 0x1122_3344_5566_7788L);

        page.copyIn(guest.memory, frame, 8);
        assertThat(guest.memory.getLong(FakeGuest.ARGUMENT_PAGE_VA + 16)).isEqualTo(0x1122_3344_5566_7788L);

        guest.memory.putLong(FakeGuest.ARGUMENT_PAGE_VA + 16, 42);
        page.copyOut(guest.memory, frame, 8);
        assertThat(page.scratch().get(Layouts.U64, frame)).isEqualTo(42);
    }
}
