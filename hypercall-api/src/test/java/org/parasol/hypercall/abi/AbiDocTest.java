package org.parasol.hypercall.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code docs/abi.md} equal to what {@link AbiDocGenerator} produces from the compiled
 * classes; with {@code -Dabi.doc.write=true} it rewrites the file instead.
 */
class AbiDocTest {

    @Test
    @DisplayName("docs/abi.md matches the ABI compiled into hypercall-api")
    void shouldMatchTheGeneratedAbiReference() throws IOException {
        String generated = AbiDocGenerator.forThisBuild().generate();
        Path doc = AbiDocGenerator.docPath();
        if (Boolean.getBoolean(AbiDocGenerator.WRITE_PROPERTY)) {
            Files.createDirectories(doc.getParent());
            Files.writeString(doc, generated);
        }
        if (!Files.isRegularFile(doc)) {
            fail(doc + " is missing; generate it with: " + AbiDocGenerator.REGENERATE_COMMAND);
        }
        String actual = Files.readString(doc);
        if (!actual.equals(generated)) {
            fail(doc + " is stale (first difference: " + firstDifference(actual, generated)
                    + "); regenerate it with: " + AbiDocGenerator.REGENERATE_COMMAND);
        }
    }

    @Test
    void shouldGenerateTheSameTextTwice() {
        assertThat(AbiDocGenerator.forThisBuild().generate())
                .isEqualTo(AbiDocGenerator.forThisBuild().generate());
    }

    @Test
    void shouldListEveryFamilyAndTheHypercallTable() {
        String text = AbiDocGenerator.forThisBuild().generate();
        assertThat(text)
                .contains("| 32 | `event_channel_op` |")
                .doesNotContain("\n| 11 | ")
                .contains("| `EINVAL` | 22 |")
                .contains("| `DomId.DOMID_SELF` | 32752 | 0x7FF0 |")
                .contains("| `Gtf.PERMIT_ACCESS` | 1 | 0x1 |")
                .contains("| `Virq.ARGO` | 11 | 0xB | PER_DOMAIN |")
                .contains("| `XenbusState.INIT_WAIT` | 2 |")
                .contains("| `Mmu.PAGE_NX` | -9223372036854775808 | 0x8000000000000000 |")
                .contains("## Structures");
    }

    @Test
    @DisplayName("structure fields are walked with offsets, nested unions and arrays")
    void shouldWalkALayoutFieldByField() {
        // shaped like evtchn_status (fact sheet §5.1): dom u16 @0, port u32 @4, status u32 @8,
        // vcpu u32 @12, union u @16 of interdomain {dom u16 @16, port u32 @20} and virq u32
        MemoryLayout interdomain = MemoryLayout.structLayout(
                ValueLayout.JAVA_SHORT.withName("dom"), MemoryLayout.paddingLayout(2),
                ValueLayout.JAVA_INT.withName("port")).withName("interdomain");
        MemoryLayout layout = MemoryLayout.structLayout(
                ValueLayout.JAVA_SHORT.withName("dom"), MemoryLayout.paddingLayout(2),
                ValueLayout.JAVA_INT.withName("port"), ValueLayout.JAVA_INT.withName("status"),
                ValueLayout.JAVA_INT.withName("vcpu"),
                MemoryLayout.unionLayout(interdomain, ValueLayout.JAVA_INT.withName("virq")).withName("u"),
                MemoryLayout.sequenceLayout(3, ValueLayout.JAVA_BYTE).withName("tail"),
                MemoryLayout.paddingLayout(5));
        assertThat(AbiDocGenerator.fieldTable(layout)).isEqualTo("""
                | field | offset | size |
                |---|---:|---:|
                | `dom` | 0 | 2 |
                | `port` | 4 | 4 |
                | `status` | 8 | 4 |
                | `vcpu` | 12 | 4 |
                | `u` | 16 | 8 |
                | `u.interdomain` | 16 | 8 |
                | `u.interdomain.dom` | 16 | 2 |
                | `u.interdomain.port` | 20 | 4 |
                | `u.virq` | 16 | 4 |
                | `tail[3]` | 24 | 3 |
                """);
    }

    private static String firstDifference(String actual, String generated) {
        String[] a = actual.split("\n", -1);
        String[] g = generated.split("\n", -1);
        for (int i = 0; i < Math.min(a.length, g.length); i++) {
            if (!a[i].equals(g[i])) {
                return "line " + (i + 1) + ": file has \"" + a[i] + "\", expected \"" + g[i] + "\"";
            }
        }
        return "line " + (Math.min(a.length, g.length) + 1) + ": files differ in length";
    }
}
