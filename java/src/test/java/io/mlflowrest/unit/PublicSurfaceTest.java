package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The API is every public type outside {@code io.mlflowrest.internal}: none of its public or
 * protected signatures may name an internal type (a user could not call it without reaching
 * into the implementation), and no public type there may depend on internal in its declaration.
 */
class PublicSurfaceTest {
    private static final Path CLASSES = Path.of("target", "classes");

    static List<Class<?>> apiClasses() throws Exception {
        List<Class<?>> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(CLASSES.resolve("io/mlflowrest"))) {
            for (Path file : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                String name = CLASSES.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
                if (name.startsWith("io.mlflowrest.internal.") || name.equals("module-info")) {
                    continue;
                }
                Class<?> type = Class.forName(name, false, PublicSurfaceTest.class.getClassLoader());
                if (isApi(type)) {
                    found.add(type);
                }
            }
        }
        return found;
    }

    /** A type users can name: public, and public all the way out if nested. */
    static boolean isApi(Class<?> type) {
        for (Class<?> t = type; t != null; t = t.getEnclosingClass()) {
            if (!Modifier.isPublic(t.getModifiers()) || t.isAnonymousClass() || t.isLocalClass()) {
                return false;
            }
        }
        return true;
    }

    static boolean internal(Type type) {
        return type.getTypeName().contains("io.mlflowrest.internal.");
    }

    @Test
    void noPublicSignatureNamesAnInternalType() throws Exception {
        List<Class<?>> api = apiClasses();
        assertTrue(api.size() > 300, "found " + api.size() + " API classes under " + CLASSES.toAbsolutePath());
        List<String> leaks = new ArrayList<>();
        for (Class<?> type : api) {
            if (type.getGenericSuperclass() != null && internal(type.getGenericSuperclass())) {
                leaks.add(type.getName() + " extends " + type.getGenericSuperclass().getTypeName());
            }
            for (Type i : type.getGenericInterfaces()) {
                if (internal(i)) {
                    leaks.add(type.getName() + " implements " + i.getTypeName());
                }
            }
            List<Executable> members = new ArrayList<>(List.of(type.getDeclaredConstructors()));
            members.addAll(List.of(type.getDeclaredMethods()));
            for (Executable member : members) {
                if (!visible(member.getModifiers()) || member.isSynthetic()) {
                    continue;
                }
                List<Type> named = new ArrayList<>(List.of(member.getGenericParameterTypes()));
                named.addAll(List.of(member.getGenericExceptionTypes()));
                if (member instanceof Method m) {
                    named.add(m.getGenericReturnType());
                }
                for (Type t : named) {
                    if (internal(t)) {
                        leaks.add(type.getName() + "." + (member instanceof Constructor ? "<init>" : member.getName())
                                + " names " + t.getTypeName());
                    }
                }
            }
            for (Field field : type.getDeclaredFields()) {
                if (visible(field.getModifiers()) && internal(field.getGenericType())) {
                    leaks.add(type.getName() + "." + field.getName() + " is " + field.getGenericType().getTypeName());
                }
            }
        }
        assertEquals(List.of(), leaks);
    }

    private static boolean visible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }
}
