package dev.holdfast.lock.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** The schema files shipped under {@code dev/holdfast/lock/jdbc/schema/} (also for Flyway/Liquibase users). */
final class Schema {

    private Schema() {
    }

    /** Reads {@code file}, with the default object name replaced by the configured (validated) one. */
    static String load(String file, String defaultName, String name) {
        try (InputStream in = Schema.class.getResourceAsStream("schema/" + file)) {
            if (in == null) {
                throw new IllegalStateException("schema file missing from the jar: " + file);
            }
            String sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            StringBuilder out = new StringBuilder();
            for (String line : sql.split("\n")) {
                if (!line.startsWith("--")) {
                    out.append(line).append('\n');
                }
            }
            return out.toString().trim().replaceAll(";$", "").replace(defaultName, name);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read schema file " + file, e);
        }
    }
}
