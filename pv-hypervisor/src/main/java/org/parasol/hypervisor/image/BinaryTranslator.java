package org.parasol.hypervisor.image;

import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_void;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;

/**
 * Binary translation of a kernel image, on its bytecode: every call site where the kernel
 * reaches a privileged instruction — {@code invokeinterface Cpu.execute(int)} — is rewritten
 * into {@code invokestatic x86.Translation.execute(Cpu, int)}, which enters the emulation
 * directly, with no VM exit (as VMware's translator replaced privileged instructions with calls
 * into its monitor). Both take the same operands from the stack and return nothing, so nothing
 * else in the method changes: its stack map, its locals and every other instruction stay.
 *
 * <p>Checked as any image transformation: {@link #translate} says how many sites it rewrote,
 * and {@link #sites} counted on the result must be zero — every site is accounted for. A
 * translated domain's vCPU refuses an untranslated {@code execute}, so a missed site could not
 * go unnoticed at run time either. The input is a verified class of the image; a class with no
 * site is returned as it was.
 */
public final class BinaryTranslator {
    private static final ClassDesc CPU = ClassDesc.of("org.parasol.hypercall.Cpu");
    private static final ClassDesc TRANSLATION = ClassDesc.of("org.parasol.hypercall.x86.Translation");
    private static final MethodTypeDesc EXECUTE = MethodTypeDesc.of(CD_void, CD_int);
    private static final MethodTypeDesc TRANSLATED = MethodTypeDesc.of(CD_void, CPU, CD_int);

    private BinaryTranslator() {
    }

    /** A translated class and how many call sites were rewritten in it. */
    public record Result(byte[] bytes, int sites) {
    }

    /** Rewrites every privileged call site of the class in {@code classBytes}. */
    public static Result translate(byte[] classBytes) {
        ClassFile cf = ClassFile.of();
        ClassModel model = cf.parse(classBytes);
        int found = count(model);
        if (found == 0) {
            return new Result(classBytes, 0);
        }
        byte[] out = cf.transformClass(model, ClassTransform.transformingMethodBodies((b, e) -> {
            if (isSite(e)) {
                b.invokestatic(TRANSLATION, "execute", TRANSLATED);
            } else {
                b.with(e);
            }
        }));
        return new Result(out, found);
    }

    /** Privileged call sites ({@code Cpu.execute(int)}) left in the class in {@code classBytes}. */
    public static int sites(byte[] classBytes) {
        return count(ClassFile.of().parse(classBytes));
    }

    private static int count(ClassModel model) {
        int n = 0;
        for (MethodModel m : model.methods()) {
            CodeModel code = m.code().orElse(null);
            if (code == null) {
                continue;
            }
            for (CodeElement e : code) {
                if (isSite(e)) {
                    n++;
                }
            }
        }
        return n;
    }

    private static boolean isSite(CodeElement e) {
        return e instanceof InvokeInstruction i && i.opcode() == Opcode.INVOKEINTERFACE
                && i.owner().asSymbol().equals(CPU) && i.name().equalsString("execute")
                && i.typeSymbol().equals(EXECUTE);
    }
}
