package dev.cqrs.test;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * cqrs-bom has no parent (so that its users get only what it declares), so its versions are
 * written twice: they must stay those that the build uses.
 */
class BomTest {

    private static final Pattern PROPERTY = Pattern.compile("<([a-z0-9.-]+\\.version)>([^<]+)</\\1>");

    @Test
    void everyVersionOfTheBomIsTheBuildsOwn() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        Map<String, String> bom = properties(root.resolve("bom/pom.xml"));
        Map<String, String> parent = properties(root.resolve("pom.xml"));

        assertThat(bom).isNotEmpty();
        bom.forEach((name, version) -> assertThat(parent.get(name))
                .as("the parent's %s, which bom/pom.xml sets to %s", name, version)
                .isEqualTo(version));
        assertThat(Files.readString(root.resolve("bom/pom.xml")))
                .as("the BOM's own version is the build's")
                .contains("<artifactId>cqrs-bom</artifactId>\n  <version>" + projectVersion(root) + "</version>");
    }

    private static Map<String, String> properties(Path pom) throws Exception {
        Map<String, String> properties = new LinkedHashMap<>();
        Matcher matcher = PROPERTY.matcher(Files.readString(pom));
        while (matcher.find()) {
            properties.put(matcher.group(1), matcher.group(2));
        }
        return properties;
    }

    private static String projectVersion(Path root) throws Exception {
        Matcher matcher = Pattern.compile("<artifactId>cqrs-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(root.resolve("pom.xml")));
        assertThat(matcher.find()).isTrue();
        return matcher.group(1);
    }
}
