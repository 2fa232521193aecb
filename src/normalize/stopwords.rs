//! Stop-word lists for the page classifier's prose test.
//!
//! Prose is dense in function words ("the", "of", "que", "и"); menus,
//! headlines lists and footers are not. A list per language, each the most
//! frequent function words of the language (articles, pronouns,
//! prepositions, conjunctions, auxiliaries), written as matching keys
//! (lowercase, straight apostrophes). A page is scored with the list that
//! covers most of its words; languages without a list (Korean, Chinese,
//! Japanese) are judged without stop words. To add a language, add a list
//! here and a line to [`LANGUAGES`].

/// A language's stop words.
#[derive(Debug)]
pub struct Language {
    /// ISO 639-1 code.
    pub code: &'static str,
    /// The words, as matching keys.
    pub words: &'static [&'static str],
}

/// Every language with a list.
pub const LANGUAGES: &[Language] = &[
    Language {
        code: "en",
        words: ENGLISH,
    },
    Language {
        code: "pt",
        words: PORTUGUESE,
    },
    Language {
        code: "es",
        words: SPANISH,
    },
    Language {
        code: "it",
        words: ITALIAN,
    },
    Language {
        code: "fr",
        words: FRENCH,
    },
    Language {
        code: "de",
        words: GERMAN,
    },
    Language {
        code: "ru",
        words: RUSSIAN,
    },
];

const ENGLISH: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "because",
    "been", "before", "being", "but", "by", "can", "could", "did", "do", "does", "each", "even",
    "for", "from", "had", "has", "have", "he", "her", "here", "him", "his", "how", "i", "if", "in",
    "into", "is", "it", "it's", "its", "just", "more", "most", "much", "my", "no", "not", "now",
    "of", "on", "one", "only", "or", "other", "our", "out", "over", "said", "says", "she",
    "should", "since", "so", "some", "such", "than", "that", "the", "their", "them", "then",
    "there", "these", "they", "this", "those", "through", "to", "too", "under", "up", "us", "very",
    "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will",
    "with", "would", "you", "your",
];

const PORTUGUESE: &[&str] = &[
    "a", "ao", "aos", "as", "com", "como", "da", "das", "de", "dela", "dele", "do", "dos", "e",
    "ela", "ele", "eles", "em", "entre", "era", "essa", "esse", "esta", "este", "está", "foi",
    "foram", "há", "isso", "já", "mais", "mas", "me", "mesmo", "muito", "na", "nas", "no", "nos",
    "não", "num", "numa", "o", "os", "ou", "para", "pela", "pelo", "por", "quando", "que", "se",
    "seu", "sua", "são", "também", "tem", "ser", "um", "uma",
];

const SPANISH: &[&str] = &[
    "a", "al", "como", "con", "de", "del", "el", "ella", "en", "entre", "era", "es", "esta",
    "este", "fue", "ha", "han", "la", "las", "le", "les", "lo", "los", "más", "pero", "por",
    "porque", "que", "se", "ser", "si", "sin", "sobre", "su", "sus", "también", "un", "una", "y",
    "ya",
];

const ITALIAN: &[&str] = &[
    "a", "ai", "al", "alla", "alle", "anche", "che", "ci", "come", "con", "da", "dal", "dalla",
    "dei", "del", "della", "delle", "di", "e", "è", "gli", "ha", "hanno", "i", "il", "in", "la",
    "le", "lo", "ma", "nel", "nella", "non", "per", "più", "quando", "questo", "se", "si", "sono",
    "su", "sua", "suo", "tra", "un", "una", "uno",
];

const FRENCH: &[&str] = &[
    "au", "aux", "avec", "ce", "ces", "dans", "de", "des", "du", "elle", "en", "est", "et", "il",
    "ils", "la", "le", "les", "leur", "lui", "mais", "ne", "nous", "on", "ont", "ou", "par", "pas",
    "plus", "pour", "qu", "que", "qui", "sa", "se", "son", "sont", "sur", "un", "une",
];

const GERMAN: &[&str] = &[
    "auch", "auf", "aus", "bei", "das", "dass", "dem", "den", "der", "des", "die", "ein", "eine",
    "einem", "einen", "einer", "er", "es", "für", "hat", "ich", "im", "in", "ist", "mit", "nach",
    "nicht", "noch", "sich", "sie", "sind", "und", "von", "vor", "war", "werden", "wie", "wird",
    "zu", "zum", "zur",
];

const RUSSIAN: &[&str] = &[
    "а",
    "без",
    "бы",
    "был",
    "была",
    "были",
    "было",
    "в",
    "во",
    "вы",
    "даже",
    "для",
    "до",
    "его",
    "ее",
    "её",
    "если",
    "есть",
    "же",
    "за",
    "и",
    "из",
    "или",
    "им",
    "их",
    "к",
    "как",
    "когда",
    "ко",
    "который",
    "которые",
    "ли",
    "мы",
    "на",
    "над",
    "не",
    "него",
    "нет",
    "но",
    "о",
    "об",
    "он",
    "она",
    "они",
    "оно",
    "от",
    "по",
    "под",
    "при",
    "с",
    "со",
    "так",
    "также",
    "то",
    "только",
    "у",
    "уже",
    "что",
    "это",
    "этот",
    "я",
];
