/** Spring Boot auto-configuration and {@code holdfast.lock.*} properties. */
@NullMarked
package dev.holdfast.lock.spring.autoconfigure;

import org.jspecify.annotations.NullMarked;
