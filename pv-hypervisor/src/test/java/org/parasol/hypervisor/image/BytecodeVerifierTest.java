package org.parasol.hypervisor.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.DirectMethodHandleDesc;
import java.lang.constant.DynamicCallSiteDesc;
import java.lang.constant.MethodHandleDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.AccessFlag;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BytecodeVerifierTest {
    private static final String PKG = "org.parasol.imagefixtures.";
    private static ImageClasses fixtures;

    @BeforeAll
    static void readFixtures() throws IOException {
        fixtures = TestImages.fixtureImage();
    }

    private static List<Violation> verify(String kernel, boolean privileged) {
        return BytecodeVerifier.verify(fixtures, PKG + kernel, privileged).violations();
    }

    @Test
    @DisplayName("a kernel using lambdas, string concatenation, records, enum switches and VarHandles passes")
    void shouldAcceptAWellBehavedKernel() {
        BytecodeVerifier.Result r = BytecodeVerifier.verify(fixtures, PKG + "GoodKernel", false);

        assertThat(r.violations()).isEmpty();
        assertThat(r.reachable()).contains(PKG + "GoodKernel", PKG + "GoodKernel$Mode", PKG + "GoodKernel$Point")
                .noneMatch(n -> n.contains("ExitKernel"));
    }

    @ParameterizedTest(name = "{0}: rule ''{2}''")
    @DisplayName("each forbidden API is refused naming the class, the method and the rule")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            ExitKernel           | method boot(Lorg/parasol/hypercall/Cpu;J)V | no JVM exit, Runtime or processes   | calls java/lang/System.exit(I)V
            ThreadKernel         | method boot(Lorg/parasol/hypercall/Cpu;J)V | no threads                          | calls java/lang/Thread.<init>(Ljava/lang/Runnable;)V
            FileKernel           | method boot(Lorg/parasol/hypercall/Cpu;J)V | no host files                       | calls java/io/FileInputStream.<init>(Ljava/lang/String;)V
            SocketKernel         | method boot(Lorg/parasol/hypercall/Cpu;J)V | no sockets                          | calls java/net/Socket.<init>(Ljava/lang/String;I)V
            ForNameKernel        | method boot(Lorg/parasol/hypercall/Cpu;J)V | no reflection                       | calls java/lang/Class.forName(Ljava/lang/String;)Ljava/lang/Class;
            DeclaredFieldKernel  | method boot(Lorg/parasol/hypercall/Cpu;J)V | no reflection                       | calls java/lang/Class.getDeclaredField(Ljava/lang/String;)Ljava/lang/reflect/Field;
            ReinterpretKernel    | method boot(Lorg/parasol/hypercall/Cpu;J)V | no restricted foreign memory        | calls java/lang/foreign/MemorySegment.reinterpret(J)Ljava/lang/foreign/MemorySegment;
            LinkerKernel         | method boot(Lorg/parasol/hypercall/Cpu;J)V | no restricted foreign memory        | calls java/lang/foreign/Linker.nativeLinker()Ljava/lang/foreign/Linker;
            ClassLoaderKernel    | method boot(Lorg/parasol/hypercall/Cpu;J)V | no class loaders                    | calls java/net/URLClassLoader.<init>([Ljava/net/URL;)V
            ExecutorKernel       | method boot(Lorg/parasol/hypercall/Cpu;J)V | no executors                        | calls java/util/concurrent/Executors.newSingleThreadExecutor()Ljava/util/concurrent/ExecutorService;
            MethodRefKernel      | method boot(Lorg/parasol/hypercall/Cpu;J)V | no JVM exit, Runtime or processes   | takes a method handle to java/lang/System.exit(I)V
            LdcClassKernel       | method boot(Lorg/parasol/hypercall/Cpu;J)V | no class loaders                    | loads class constant java/lang/ClassLoader
            SynchronizedKernel   | method boot(Lorg/parasol/hypercall/Cpu;J)V | no monitors                         | enters a monitor (monitorenter)
            SynchronizedKernel   | method boot(Lorg/parasol/hypercall/Cpu;J)V | no threads                          | calls java/lang/Thread.currentThread()Ljava/lang/Thread;
            SynchronizedKernel   | method spin()V                             | no monitors                         | is synchronized: it locks a monitor another thread may wait on
            FinalizerKernel      | method finalize()V                         | no finalizers                       | declares finalize(): the JVM's finalizer thread would run it
            PrintfKernel         | method boot(Lorg/parasol/hypercall/Cpu;J)V | no standard streams                 | reads field java/lang/System.out
            CompletableFutureKernel | method boot(Lorg/parasol/hypercall/Cpu;J)V | only listed JDK classes and members | calls org/parasol/imagefixtures/CompletableFutureKernel$Stage.thenRunAsync(Ljava/lang/Runnable;)Ljava/util/concurrent/CompletionStage;, which resolves through java/util/concurrent/CompletionStage, not on the guest JDK list
            CommonPoolKernel     | method boot(Lorg/parasol/hypercall/Cpu;J)V | only listed JDK classes and members | calls java/util/stream/StreamSupport.stream(Ljava/util/Spliterator;Z)Ljava/util/stream/Stream;, whose class is not on the guest JDK list
            CommonPoolKernel     | method boot(Lorg/parasol/hypercall/Cpu;J)V | only listed JDK classes and members | calls java/util/concurrent/ConcurrentHashMap.forEach(JLjava/util/function/BiConsumer;)V, whose class is not on the guest JDK list
            LookupKernel         | method boot(Lorg/parasol/hypercall/Cpu;J)V | no reflection                       | calls java/lang/invoke/MethodHandles.lookup()Ljava/lang/invoke/MethodHandles$Lookup;
            LookupKernel         | method boot(Lorg/parasol/hypercall/Cpu;J)V | no reflection                       | calls java/lang/invoke/MethodHandles$Lookup.findStaticVarHandle(Ljava/lang/Class;Ljava/lang/String;Ljava/lang/Class;)Ljava/lang/invoke/VarHandle;
            ConstantDescKernel   | method boot(Lorg/parasol/hypercall/Cpu;J)V | no reflection                       | calls java/lang/invoke/MethodType.fromMethodDescriptorString(Ljava/lang/String;Ljava/lang/ClassLoader;)Ljava/lang/invoke/MethodType;
            ConstantDescKernel   | method boot(Lorg/parasol/hypercall/Cpu;J)V | only listed JDK classes and members | calls java/lang/constant/MethodHandleDesc.resolveConstantDesc(Ljava/lang/invoke/MethodHandles$Lookup;)Ljava/lang/invoke/MethodHandle;, whose class is not on the guest JDK list
            SerializableLambdaKernel | method boot(Lorg/parasol/hypercall/Cpu;J)V | no reflection                   | bootstraps invokedynamic with java/lang/invoke/LambdaMetafactory.altMetafactory and static arguments javac does not emit (a serializable lambda (FLAG_SERIALIZABLE): its deserialization runs through reflection)
            ForeignLambdaKernel  | method boot(Lorg/parasol/hypercall/Cpu;J)V | only extendable JDK supertypes      | creates a lambda implementing java/util/random/RandomGenerator, which guest classes and lambdas may not implement
            """)
    void shouldRefuseEachForbiddenApi(String kernel, String member, String rule, String detail) {
        List<Violation> violations = verify(kernel, false);

        assertThat(violations).anySatisfy(v -> {
            assertThat(v.className()).isEqualTo(PKG + kernel);
            assertThat(v.member()).isEqualTo(member);
            assertThat(v.rule().phrase()).isEqualTo(rule);
            assertThat(v.detail()).isEqualTo(detail);
        });
        assertThat(violations.getFirst().toString()).startsWith("class " + PKG + kernel + ", ");
    }

    @Test
    @DisplayName("sun.misc.Unsafe and jdk.internal are refused (class generated: javac will not compile against them here)")
    void shouldRefuseUnsafe() {
        ClassDesc self = ClassDesc.of("evil.UnsafeKernel");
        ClassDesc unsafe = ClassDesc.of("sun.misc.Unsafe");
        byte[] bytes = ClassFile.of().build(self, cb -> cb
                .withFlags(AccessFlag.PUBLIC, AccessFlag.FINAL)
                .withMethodBody("peek", MethodTypeDesc.of(ConstantDescs.CD_long), ClassFile.ACC_STATIC, code -> code
                        .invokestatic(unsafe, "getUnsafe", MethodTypeDesc.of(unsafe))
                        .lconst_0()
                        .invokevirtual(unsafe, "getLong", MethodTypeDesc.of(ConstantDescs.CD_long, ConstantDescs.CD_long))
                        .getstatic(ClassDesc.of("jdk.internal.misc.Unsafe"), "ADDRESS_SIZE", ConstantDescs.CD_int)
                        .pop()
                        .lreturn()));

        List<Violation> violations = BytecodeVerifier.verifyClass(bytes, true);

        assertThat(violations).extracting(Violation::toString).containsExactly(
                "class evil.UnsafeKernel, method peek()J: rule 'no Unsafe or JDK internals': "
                        + "calls sun/misc/Unsafe.getUnsafe()Lsun/misc/Unsafe;",
                "class evil.UnsafeKernel, method peek()J: rule 'no Unsafe or JDK internals': "
                        + "calls sun/misc/Unsafe.getLong(J)J",
                "class evil.UnsafeKernel, method peek()J: rule 'no Unsafe or JDK internals': "
                        + "reads field jdk/internal/misc/Unsafe.ADDRESS_SIZE");
    }

    @Test
    @DisplayName("an invokedynamic with a bootstrap of the guest's own is refused: bootstraps get a full Lookup")
    void shouldRefuseForeignBootstraps() {
        ClassDesc self = ClassDesc.of("evil.Indy");
        MethodTypeDesc bsmType = MethodTypeDesc.of(ConstantDescs.CD_CallSite, ConstantDescs.CD_MethodHandles_Lookup,
                ConstantDescs.CD_String, ConstantDescs.CD_MethodType);
        DirectMethodHandleDesc bsm = MethodHandleDesc.ofMethod(DirectMethodHandleDesc.Kind.STATIC, self, "bsm", bsmType);
        byte[] bytes = ClassFile.of().build(self, cb -> cb
                .withMethodBody("bsm", bsmType, ClassFile.ACC_STATIC, code -> code.aconst_null().areturn())
                .withMethodBody("run", MethodTypeDesc.of(ConstantDescs.CD_void), ClassFile.ACC_STATIC, code -> code
                        .invokedynamic(DynamicCallSiteDesc.of(bsm, "go", MethodTypeDesc.of(ConstantDescs.CD_void)))
                        .return_()));

        assertThat(BytecodeVerifier.verifyClass(bytes, true)).extracting(Violation::toString).containsExactly(
                "class evil.Indy, method run()V: rule 'no reflection': bootstraps invokedynamic with evil/Indy.bsm");
    }

    @Test
    @DisplayName("Thread.start through a guest subclass is judged as Thread.start")
    void shouldResolveInheritedMembersThroughTheImageHierarchy() {
        List<Violation> violations = verify("ThreadSubclassKernel", false);

        assertThat(violations).extracting(Violation::toString).contains(
                "class " + PKG + "ThreadSubclassKernel, method boot(Lorg/parasol/hypercall/Cpu;J)V: rule 'no threads': "
                        + "calls " + PKG.replace('.', '/') + "ThreadSubclassKernel$Worker.start()V (inherited from java/lang/Thread)",
                "class " + PKG + "ThreadSubclassKernel$Worker, method <init>()V: rule 'no threads': "
                        + "calls java/lang/Thread.<init>()V");
    }

    @Test
    @DisplayName("Throwable.printStackTrace() reached by dispatch through the guest's own interface is refused ('judge what a call dispatches to')")
    void shouldRefuseInheritingADeniedMethodAnInterfaceExposes() {
        assertThat(verify("PrintStackTraceKernel", false)).extracting(Violation::toString).containsExactly(
                "class " + PKG + "PrintStackTraceKernel$Trap, supertypes: rule 'no standard streams': class "
                        + PKG.replace('.', '/') + "PrintStackTraceKernel$Trap inherits java/lang/Throwable.printStackTrace()V, "
                        + "which a call through " + PKG.replace('.', '/') + "PrintStackTraceKernel$Tracing.printStackTrace()V would run");
    }

    @Test
    @DisplayName("privileged images (dom0, driver domains) may use host files, sockets, threads, executors, monitors and standard streams")
    void shouldWaiveHostAccessRulesForPrivilegedImages() {
        for (String k : List.of("FileKernel", "SocketKernel", "ThreadKernel", "ExecutorKernel", "ThreadSubclassKernel",
                "SynchronizedKernel", "PrintfKernel", "CompletableFutureKernel", "CommonPoolKernel", "FinalizerKernel",
                "ForeignLambdaKernel", "PrintStackTraceKernel")) {
            assertThat(verify(k, true)).as(k).isEmpty();
        }
    }

    @Test
    @DisplayName("privileged images still may not exit the JVM, reflect, look up, resolve constants, use Unsafe, restricted FFM or class loaders")
    void shouldKeepTheOtherRulesForPrivilegedImages() {
        for (String k : List.of("ExitKernel", "ForNameKernel", "DeclaredFieldKernel",
                "ReinterpretKernel", "LinkerKernel", "ClassLoaderKernel", "MethodRefKernel", "LookupKernel",
                "ConstantDescKernel")) {
            assertThat(verify(k, true)).as(k).isNotEmpty().allMatch(v -> !v.rule().hostAccess());
        }
        assertThat(verify("ConstantDescKernel", true)).extracting(Violation::detail).contains(
                "calls java/lang/invoke/MethodHandles.lookup()Ljava/lang/invoke/MethodHandles$Lookup;",
                "calls java/lang/constant/MethodHandleDesc.resolveConstantDesc(Ljava/lang/invoke/MethodHandles$Lookup;)"
                        + "Ljava/lang/invoke/MethodHandle;",
                "calls java/lang/invoke/MethodType.fromMethodDescriptorString(Ljava/lang/String;Ljava/lang/ClassLoader;)"
                        + "Ljava/lang/invoke/MethodType;");
    }

    @Test
    @DisplayName("an image may not bundle classes of hypercall-api, the hypervisor or the JDK")
    void shouldRefuseClassesInReservedPackages() throws IOException {
        byte[] good = TestImages.fixtureClassFiles().get(TestImages.FIXTURES + "GoodKernel.class");
        ImageClasses image = ImageClasses.of(java.util.Map.of(PKG + "GoodKernel", good,
                "org.parasol.hypercall.Cpu", good));

        List<Violation> violations = BytecodeVerifier.verify(image, PKG + "GoodKernel", false).violations();

        assertThat(violations).anySatisfy(v -> {
            assertThat(v.rule()).isEqualTo(GuestApiRule.NO_RESERVED_PACKAGE);
            assertThat(v.className()).isEqualTo("org.parasol.hypercall.Cpu");
        });
    }

    @Test
    @DisplayName("a class stored under another name than it declares is malformed")
    void shouldRefuseAClassStoredUnderTheWrongName() throws IOException {
        byte[] good = TestImages.fixtureClassFiles().get(TestImages.FIXTURES + "GoodKernel.class");
        ImageClasses image = ImageClasses.of(java.util.Map.of("evil.Kernel", good));

        List<Violation> violations = BytecodeVerifier.verify(image, "evil.Kernel", false).violations();

        assertThat(violations).singleElement().satisfies(v -> {
            assertThat(v.rule()).isEqualTo(GuestApiRule.WELL_FORMED);
            assertThat(v.detail()).contains("declares class " + PKG.replace('.', '/') + "GoodKernel");
        });
    }
}
