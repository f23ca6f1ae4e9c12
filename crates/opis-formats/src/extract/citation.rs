//! What a citation line says besides the archival reference: compiler,
//! publication, source URL, contributors, classification; and the kind of document
//! its title describes.

use std::sync::LazyLock;

use regex::Regex;

static COMPILER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i:compiled|edited|prepared)\s+by\s+((?:\p{Lu}\.\s*)*\p{Lu}[\p{L}'’-]+(?:\s+\p{Lu}[\p{L}'’-]+)?)")
        .unwrap()
});

static PUBLISHED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)(?-u:\b)published\s+in\s+([^\n]+)").unwrap());

static URL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"https?://[^\s<>"')\]]+"#).unwrap());

static CONTRIBUTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)(?:contributed|transcribed|translated|obtained|donated)(?:,?\s*(?:and\s+)?(?:contributed|transcribed|translated|obtained))*\s+(?:for\s+[^.]*?\s+)?by\s+([^.;\n]+)",
    )
    .unwrap()
});

static CLASSIFICATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u:\b)((?:Top Secret|Strictly Secret|Secret|Confidential|Limited Official Use|Official Use Only|Restricted|Unclassified)(?:[;,]\s*(?:Priority|Niact|Immediate|Eyes Only|Nodis|Exdis|Limdis|Urgent|Flash))*)(?-u:\b)",
    )
    .unwrap()
});

/// "compiled by V. N. Malin" → "V. N. Malin".
pub fn compiler(citation: &str) -> Option<String> {
    COMPILER.captures(citation).map(|c| c[1].trim().to_owned())
}

/// "Published in CWIHP Bulletin 8-9, pp. 392-393." → "CWIHP Bulletin 8-9, pp. 392-393".
pub fn published_in(citation: &str) -> Option<String> {
    let c = PUBLISHED.captures(citation)?;
    let mut s = c[1].trim();
    if let Some(url) = URL.find(s) {
        s = s[..url.start()].trim_end_matches(['<', ' ', '(']);
    }
    let s = s.trim().trim_end_matches('.').trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// The first web address in a text, without surrounding `<>` or trailing punctuation.
pub fn source_url(text: &str) -> Option<String> {
    URL.find(text).map(|m| m.as_str().trim_end_matches(['.', ',', ';', ':']).to_owned())
}

/// "Contributed, transcribed, and translated by Stephan Kieninger." → ["Stephan Kieninger"].
pub fn contributors(citation: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in CONTRIBUTED.captures_iter(citation) {
        for name in c[1].split(" and ").flat_map(|p| p.split(", ")) {
            let name = name.trim().trim_end_matches('.').trim();
            if !name.is_empty() && name.chars().next().is_some_and(char::is_uppercase) && !out.iter().any(|n| n == name)
            {
                out.push(name.to_owned());
            }
        }
    }
    out
}

/// "Confidential; Priority", "Top Secret", "Strictly Secret- Urgent" at the first place it is named.
pub fn classification(text: &str) -> Option<String> {
    CLASSIFICATION.captures(text).map(|c| c[1].to_owned())
}

/// The numeric record id at the end of a Wilson Center document URL, if any.
pub fn record_id_from_url(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?.trim_end_matches('/');
    let last = path.rsplit('/').next()?;
    let digits: String = last.chars().take_while(char::is_ascii_digit).collect();
    (!digits.is_empty() && (digits.len() == last.len() || last[digits.len()..].starts_with('-'))).then_some(digits)
}

/// The kind of document a title describes; "record" when nothing fits.
pub fn guess_kind(title: &str) -> String {
    let t = title.to_lowercase();
    const KINDS: &[(&str, &str)] = &[
        ("editorial note", "editorial-note"),
        ("working notes", "working-notes"),
        ("working record", "working-notes"),
        ("teletype conversation", "teletype-conversation"),
        ("memorandum of conversation", "memorandum-of-conversation"),
        ("record of conversation", "record-of-conversation"),
        ("record of a conversation", "record-of-conversation"),
        ("record of the conversation", "record-of-conversation"),
        ("minutes", "minutes"),
        ("protocol", "minutes"),
        ("telegram", "telegram"),
        ("cable", "telegram"),
        ("ciphered", "telegram"),
        ("memorandum", "memorandum"),
        ("memo ", "memorandum"),
        ("letter", "letter"),
        ("note from", "note"),
        ("diary", "diary"),
        ("transcript", "transcript"),
        ("stenogram", "transcript"),
        ("report", "report"),
        ("speech", "speech"),
        ("address", "speech"),
        ("press release", "press-release"),
        ("statement", "statement"),
        ("declaration", "statement"),
        ("resolution", "resolution"),
        ("decree", "resolution"),
        ("directive", "directive"),
        ("instruction", "directive"),
        ("debate", "debate"),
        ("hearing", "debate"),
        ("conversation", "record-of-conversation"),
        ("meeting", "record-of-conversation"),
        ("interview", "interview"),
        ("agreement", "treaty"),
        ("treaty", "treaty"),
    ];
    KINDS
        .iter()
        .find(|(needle, _)| t.contains(needle))
        .map_or_else(|| "record".to_owned(), |(_, kind)| (*kind).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_CITATION: &str = "\"Working Notes from the Session of the CPSU CC Presidium on 30 October 1956\", October 30, 1956, Wilson Center Digital Archive, TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14, compiled by V. N. Malin. Published in CWIHP Bulletin 8-9, pp. 392-393.";

    #[test]
    fn seed_citation_parts() {
        assert_eq!(compiler(SEED_CITATION).as_deref(), Some("V. N. Malin"));
        assert_eq!(published_in(SEED_CITATION).as_deref(), Some("CWIHP Bulletin 8-9, pp. 392-393"));
        assert_eq!(
            source_url("<https://wilson-center-digital-archive.dvincitest.com/document/113647>").as_deref(),
            Some("https://wilson-center-digital-archive.dvincitest.com/document/113647")
        );
    }

    #[test]
    fn contributors_from_wilson_sources() {
        assert_eq!(
            contributors("BArch, B 136/59748, 403-410. Contributed, transcribed, and translated by Stephan Kieninger."),
            vec!["Stephan Kieninger"]
        );
        assert_eq!(
            contributors(
                "National Archives of Ireland, Department of Foreign Affairs/6/440/8/1. Contributed by Mervyn O'Driscoll."
            ),
            vec!["Mervyn O'Driscoll"]
        );
    }

    #[test]
    fn record_ids() {
        assert_eq!(record_id_from_url("https://x.org/document/113647").as_deref(), Some("113647"));
        assert_eq!(record_id_from_url("https://x.org/document/113647/").as_deref(), Some("113647"));
        assert_eq!(record_id_from_url("https://x.org/document/chancellors-helmut-kohls-meeting"), None);
    }

    #[test]
    fn kinds() {
        assert_eq!(guess_kind("Working Notes from the Session of the CPSU CC Presidium"), "working-notes");
        assert_eq!(guess_kind("Telegram From the Legation in Hungary"), "telegram");
        assert_eq!(guess_kind("Something else"), "record");
    }

    #[test]
    fn classifications() {
        assert_eq!(
            classification("Source: Central Files. Confidential; Priority.").as_deref(),
            Some("Confidential; Priority")
        );
        assert_eq!(classification("nothing here"), None);
    }
}
