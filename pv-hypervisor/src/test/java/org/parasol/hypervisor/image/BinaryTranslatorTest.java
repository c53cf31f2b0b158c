package org.parasol.hypervisor.image;

import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.AccessFlag;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestCode;
import org.parasol.hypercall.GuestMemory;

/**
 * Binary translation checked as an image transformation: every privileged call site is found
 * and rewritten, none is left, the result verifies, and it does what the original did with the
 * translated entry in place of the exiting one.
 */
class BinaryTranslatorTest {
    private static final ClassDesc CPU = ClassDesc.of(Cpu.class.getName());
    private static final ClassDesc KERNEL = ClassDesc.of("org.parasol.test.bt.Kernel");

    /** {@code static void run(Cpu c) { c.execute(1); c.rdtsc(); c.execute(2); }} and {@code static void idle() {}}. */
    private static byte[] kernelClass() {
        return ClassFile.of().build(KERNEL, cb -> {
            cb.withFlags(AccessFlag.PUBLIC, AccessFlag.FINAL);
            cb.withMethodBody("run", MethodTypeDesc.of(CD_void, CPU), ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, code -> {
                code.aload(0).iconst_1().invokeinterface(CPU, "execute", MethodTypeDesc.of(CD_void, CD_int));
                code.aload(0).invokeinterface(CPU, "rdtsc", MethodTypeDesc.of(CD_long)).pop2();
                code.aload(0).iconst_2().invokeinterface(CPU, "execute", MethodTypeDesc.of(CD_void, CD_int));
                code.return_();
            });
            cb.withMethodBody("idle", MethodTypeDesc.of(CD_void), ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC,
                    code -> code.return_());
        });
    }

    @Test
    @DisplayName("every Cpu.execute site is rewritten, none is left, and the translated class verifies")
    void shouldAccountForEverySite() {
        byte[] original = kernelClass();
        assertThat(BinaryTranslator.sites(original)).isEqualTo(2);
        BinaryTranslator.Result t = BinaryTranslator.translate(original);
        assertThat(t.sites()).isEqualTo(2);
        assertThat(BinaryTranslator.sites(t.bytes())).isZero();
        assertThat(ClassFile.of().verify(t.bytes())).isEmpty();
    }

    @Test
    @DisplayName("a class with no privileged site comes back as it was")
    void shouldLeaveOtherClassesAlone() {
        byte[] other = ClassFile.of().build(ClassDesc.of("org.parasol.test.bt.Other"), cb -> { });
        BinaryTranslator.Result t = BinaryTranslator.translate(other);
        assertThat(t.sites()).isZero();
        assertThat(t.bytes()).isSameAs(other);
    }

    @Test
    @DisplayName("same behaviour: the translated method makes the same calls in the same order, with the translated "
            + "entry where the original executed")
    void shouldBehaveAsTheOriginal() throws Throwable {
        List<String> original = run(kernelClass());
        List<String> translated = run(BinaryTranslator.translate(kernelClass()).bytes());
        assertThat(original).containsExactly("execute 1", "rdtsc", "execute 2");
        assertThat(translated).containsExactly("translated 1", "rdtsc", "translated 2");
    }

    private static List<String> run(byte[] bytes) throws Throwable {
        List<String> calls = new ArrayList<>();
        Cpu cpu = new Cpu() {
            @Override
            public long hypercall(int nr, long a1, long a2, long a3, long a4, long a5) {
                calls.add("hypercall " + nr);
                return 0;
            }

            @Override
            public int vcpuId() {
                return 0;
            }

            @Override
            public GuestMemory memory() {
                return null;
            }

            @Override
            public long registerCode(GuestCode code) {
                return 1;
            }

            @Override
            public long rdtsc() {
                calls.add("rdtsc");
                return 0;
            }

            @Override
            public void execute(int count) {
                calls.add("execute " + count);
            }

            @Override
            public void executeTranslated(int count) {
                calls.add("translated " + count);
            }
        };
        ClassLoader loader = new ClassLoader(BinaryTranslatorTest.class.getClassLoader()) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                if (!name.equals(KERNEL.packageName() + "." + KERNEL.displayName())) {
                    throw new ClassNotFoundException(name);
                }
                return defineClass(name, bytes, 0, bytes.length);
            }
        };
        Class<?> c = loader.loadClass("org.parasol.test.bt.Kernel");
        MethodHandles.publicLookup().findStatic(c, "run", java.lang.invoke.MethodType.methodType(void.class, Cpu.class))
                .invoke(cpu);
        return calls;
    }
}
