package dev.satchel.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A shop's front door: Spring Security form login, a counter and a cart in the {@code HttpSession},
 * and the sessions kept by Satchel through {@code satchel-spring-boot-starter} and one property,
 * {@code satchel.store} (Redis on this machine's standard port unless given). Run two of it on two
 * ports and sign in through either.
 */
@SpringBootApplication
public class SampleApplication {

    /** Starts the application. */
    public static void main(String[] args) {
        SpringApplication.run(SampleApplication.class, args);
    }
}
