package dev.cqrs.reliability.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/** The timeline plot is an SVG a browser opens: well-formed, three panels, a band per fault, gaps where nothing answered. */
class TimelineTest {

    @TempDir
    Path dir;

    @Test
    void thePlotIsWellFormedSvgWithABandPerFaultAndAGapWhereTheStoreDidNotAnswer() throws Exception {
        long start = 1_800_000_000_000L;
        Timeline timeline = new Timeline(start);
        for (int s = 0; s < 120; s++) {
            boolean down = s >= 50 && s < 55;
            timeline.add(new Timeline.Sample(start + s * 1_000L, 100, down ? -1 : 1_000L * s, down ? -1 : 1_000L * s - 300,
                    down ? 4_000 : 200));
        }
        List<Timeline.Mark> marks = List.of(new Timeline.Mark(7, "#1 <failover> & more", start + 50_000, start + 53_000, start + 58_000),
                new Timeline.Mark(2, "#2 pause", start + 80_000, start + 96_000, 0));

        timeline.writeSvg(dir.resolve("t.svg"), marks, "a run");
        timeline.writeCsv(dir.resolve("t.csv"));

        Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("t.svg"))));
        assertThat(svg.getDocumentElement().getTagName()).isEqualTo("svg");
        assertThat(svg.getElementsByTagName("title").getLength()).isEqualTo(3 * marks.size());
        assertThat(svg.getElementsByTagName("title").item(0).getTextContent()).isEqualTo("#1 <failover> & more");
        // the store and read-model series break where the store did not answer: two pieces each
        assertThat(svg.getElementsByTagName("polyline").getLength()).isEqualTo(1 + 2 + 2 + 1);
        assertThat(Files.readAllLines(dir.resolve("t.csv"))).hasSize(121).first().asString().startsWith("seconds,");
    }
}
