package org.parasol.hypercall.x86;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Golden bytes: each line is what GNU as assembles and objdump prints for the instruction
 * (Intel SDM volume 2 encodings), decoded here to the same length and the same text.
 */
class DecoderGoldenTest {
    private final Decoder decoder = new Decoder();
    private final Instruction in = new Instruction();

    private int decode(String hex) {
        byte[] code = HexFormat.of().parseHex(hex.replace(" ", ""));
        return decoder.decode(code, 0, code.length, in);
    }

    @ParameterizedTest(name = "{0} = {1}")
    @DisplayName("decodes what binutils assembles, to the length and text objdump gives")
    @CsvSource(delimiter = '|', textBlock = """
            fa                         | cli
            fb                         | sti
            9c                         | pushf
            9d                         | popf
            66 9c                      | pushfw
            f4                         | hlt
            0f 31                      | rdtsc
            0f a2                      | cpuid
            0f 32                      | rdmsr
            0f 30                      | wrmsr
            0f 01 38                   | invlpg BYTE PTR [rax]
            41 0f 01 7c 24 08          | invlpg BYTE PTR [r12+0x8]
            0f 01 3d 10 00 00 00       | invlpg BYTE PTR [rip+0x10]
            0f 01 1f                   | lidt [rdi]
            0f 01 0f                   | sidt [rdi]
            41 0f 01 5c 24 10          | lidt [r12+0x10]
            0f 01 1d 10 00 00 00       | lidt [rip+0x10]
            0f 01 0c 25 10 00 00 00    | sidt ds:0x10
            64 0f 01 18                | lidt fs:[rax]
            67 0f 01 18                | lidt [eax]
            0f 22 d8                   | mov cr3,rax
            0f 20 d8                   | mov rax,cr3
            45 0f 22 c1                | mov cr8,r9
            41 0f 22 c7                | mov cr0,r15
            0f 22 18                   | mov cr3,rax
            0f 20 c3                   | mov rbx,cr0
            e4 60                      | in al,0x60
            e5 60                      | in eax,0x60
            66 e5 10                   | in ax,0x10
            66 ed                      | in ax,dx
            ed                         | in eax,dx
            e6 80                      | out 0x80,al
            66 e7 10                   | out 0x10,ax
            ef                         | out dx,eax
            f3 6c                      | rep ins BYTE PTR es:[rdi],dx
            67 f3 6c                   | rep ins BYTE PTR es:[edi],dx
            f2 6c                      | repnz ins BYTE PTR es:[rdi],dx
            66 f3 6f                   | rep outs dx,WORD PTR ds:[rsi]
            6f                         | outs dx,DWORD PTR ds:[rsi]
            64 6e                      | outs dx,BYTE PTR fs:[rsi]
            48 89 4c 98 10             | mov QWORD PTR [rax+rbx*4+0x10],rcx
            44 89 04 24                | mov DWORD PTR [rsp],r8d
            88 65 ff                   | mov BYTE PTR [rbp-0x1],ah
            40 88 75 ff                | mov BYTE PTR [rbp-0x1],sil
            49 c7 45 00 78 56 34 12    | mov QWORD PTR [r13+0x0],0x12345678
            66 c7 05 20 00 00 00 34 12 | mov WORD PTR [rip+0x20],0x1234
            48 8b 04 f7                | mov rax,QWORD PTR [rdi+rsi*8]
            f0 48 0f b1 17             | lock cmpxchg QWORD PTR [rdi],rdx
            f0 0f b0 27                | lock cmpxchg BYTE PTR [rdi],ah
            4c 0f b1 17                | cmpxchg QWORD PTR [rdi],r10
            67 89 08                   | mov DWORD PTR [eax],ecx
            48 89 04 25 00 10 00 00    | mov QWORD PTR ds:0x1000,rax
            48 89 0c 9d f0 ff ff ff    | mov QWORD PTR [rbx*4-0x10],rcx
            48 c7 00 ff ff ff ff       | mov QWORD PTR [rax],0xffffffffffffffff
            c7 00 ff ff ff ff          | mov DWORD PTR [rax],0xffffffff
            64 48 89 08                | mov QWORD PTR fs:[rax],rcx
            42 89 04 20                | mov DWORD PTR [rax+r12*1],eax
            48 89 80 00 00 00 80       | mov QWORD PTR [rax-0x80000000],rax
            89 05 f0 ff ff ff          | mov DWORD PTR [rip+0xfffffffffffffff0],eax
            4c 89 6c 24 f8             | mov QWORD PTR [rsp-0x8],r13
            """)
    void shouldDecodeWhatBinutilsAssembles(String hex, String text) {
        int n = decode(hex);

        assertThat(n).as("length").isEqualTo(hex.replace(" ", "").length() / 2);
        assertThat(in.toIntelSyntax()).isEqualTo(text);
    }

    @Test
    @DisplayName("the fields an emulator reads: port, size, direction, rep; CR and register; the effective address")
    void shouldGiveAnEmulatorItsOperands() {
        decode("66 f3 6f");
        assertThat(in.opcode()).isEqualTo(Opcode.OUTS);
        assertThat(in.opBytes()).isEqualTo(2);
        assertThat(in.rep()).isTrue();
        assertThat(in.port()).isEqualTo(Instruction.NONE);

        decode("e4 60");
        assertThat(in.opcode()).isEqualTo(Opcode.IN);
        assertThat(in.port()).isEqualTo(0x60);
        assertThat(in.opBytes()).isEqualTo(1);

        decode("45 0f 22 c1");
        assertThat(in.opcode()).isEqualTo(Opcode.MOV_TO_CR);
        assertThat(in.modrmReg()).isEqualTo(Registers.CR8);
        assertThat(in.rmRegister()).isEqualTo(9);

        decode("48 89 4c 98 10");
        long[] regs = new long[16];
        regs[Registers.RAX] = 0x1000;
        regs[Registers.RBX] = 3;
        assertThat(in.opcode()).isEqualTo(Opcode.MOV_STORE);
        assertThat(in.modrmReg()).isEqualTo(Registers.RCX);
        assertThat(in.effectiveAddress(regs, 0)).isEqualTo(0x1000 + 3 * 4 + 0x10);

        decode("0f 01 3d 10 00 00 00");
        assertThat(in.effectiveAddress(regs, 0x4000)).as("RIP-relative: from the next instruction").isEqualTo(0x4010);

        decode("67 89 08");
        regs[Registers.RAX] = 0x1_0000_2000L;
        assertThat(in.effectiveAddress(regs, 0)).as("67: a 32-bit address").isEqualTo(0x2000);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @DisplayName("outside the subset, or invalid, is #UD")
    @CsvSource(delimiter = '|', textBlock = """
            90                | nop is not a privileged instruction
            0f 01 f8          | swapgs (0F 01 /7 with a register)
            0f 01 10          | lgdt (0F 01 /2)
            0f 01 d8          | vmrun (0F 01 /3 with a register), not lidt
            0f 01 c8          | monitor (0F 01 /1 with a register), not sidt
            0f 01 00          | sgdt (0F 01 /0)
            0f 22 c8          | mov cr1: no such register
            0f 22 e8          | mov cr5: no such register
            f0 fa             | lock cli
            f0 48 89 08       | lock mov
            f0 48 0f b1 c8    | lock cmpxchg of a register
            c7 08 00 00 00 00 | C7 /1 is not mov
            0f 0b             | ud2
            """)
    void shouldRefuseWithUd(String hex, String why) {
        assertThat(decode(hex)).isEqualTo(Decoder.UD);
        assertThat(in.opcode()).isNull();
    }

    @Test
    @DisplayName("bytes that end inside the instruction are TRUNCATED; more than 15 bytes is #GP, as on the CPU")
    void shouldTellTruncatedFromTooLong() {
        assertThat(decode("48 89 4c 98")).isEqualTo(Decoder.TRUNCATED);
        assertThat(decode("66")).isEqualTo(Decoder.TRUNCATED);
        assertThat(decode("")).isEqualTo(Decoder.TRUNCATED);
        assertThat(decode("66 66 66 66 66 66 66 66 66 66 66 66 66 66 ed")).as("15 bytes").isEqualTo(15);
        assertThat(decode("66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 ed")).as("16 bytes").isEqualTo(Decoder.GP);
        assertThat(decode("66 66 66 66 66 66 66 66 66 66 66 66 48 c7 00 01 00 00 00"))
                .as("an immediate past the 15th byte").isEqualTo(Decoder.GP);
    }

    @Test
    @DisplayName("a REX prefix counts only right before the opcode: one followed by a legacy prefix is ignored")
    void shouldIgnoreARexBeforeAPrefix() {
        assertThat(decode("48 66 89 08")).isEqualTo(4);
        assertThat(in.toIntelSyntax()).isEqualTo("mov WORD PTR [rax],cx");
    }
}
