package io.mlflowrest.internal.artifacts;

import io.mlflowrest.errors.UnexpectedResponseError;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** The few reads S3's and Azure's XML answers need, with the JDK's parser (DTDs refused). */
final class Xml {
    private Xml() {}

    static Element parse(String text, String method, String shown) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setNamespaceAware(false);
            return factory.newDocumentBuilder()
                    .parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
        } catch (Exception e) {
            String head = text.length() > 200 ? text.substring(0, 200) : text;
            throw new UnexpectedResponseError("expected XML, got: " + head.strip(), 200, null, method, shown);
        }
    }

    /** Every element named {@code name} below {@code parent}, at any depth. */
    static List<Element> all(Element parent, String name) {
        NodeList nodes = parent.getElementsByTagName(name);
        List<Element> out = new ArrayList<>(nodes.getLength());
        for (int i = 0; i < nodes.getLength(); i++) {
            out.add((Element) nodes.item(i));
        }
        return out;
    }

    /** The text of the first child element named {@code name}; null when there is none. */
    static String child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e.getTextContent();
            }
        }
        return null;
    }
}
