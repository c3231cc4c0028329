"""Interface texts of the destination step, the decision-tree view and the product search (en/fr/ar).

Merged into `i18n.TEXT` (one table for the whole app); the data itself (national lines, origin routes,
product rules, sources, dates) comes in three languages from the taxonomy package's destinations data.
"""

from __future__ import annotations

DEST_TEXT = {
    # -- destination step (artisan tab and review view)
    "dest_label": {"en": "Where does the product go?", "fr": "Où va le produit ?", "ar": "إلى أين يذهب المنتج؟"},
    "dest_us": {"en": "United States", "fr": "États-Unis", "ar": "الولايات المتحدة"},
    "dest_fr": {"en": "France", "fr": "France", "ar": "فرنسا"},
    "dest_es": {"en": "Spain", "fr": "Espagne", "ar": "إسبانيا"},
    "dest_other_eu": {"en": "Another EU country", "fr": "Autre pays de l'UE", "ar": "بلد آخر من الاتحاد الأوروبي"},
    "dest_other": {"en": "Another country", "fr": "Autre pays", "ar": "بلد آخر"},
    "dest_code_pending": {"en": "The code is not known yet: answer the questions above; the lines below start with your HS code once it is.",
                          "fr": "Le code n'est pas encore connu : répondez aux questions ci-dessus ; les lignes ci-dessous commencent par votre code SH une fois connu.",
                          "ar": "الرمز غير معروف بعد: أجب عن الأسئلة أعلاه؛ البنود أدناه تبدأ برمز النظام المنسق الخاص بك عندما يعرف."},
    "dest_unknown": {"en": "Choose a destination among the ones offered.", "fr": "Choisissez une destination parmi celles proposées.",
                     "ar": "اختر وجهة من الوجهات المعروضة."},
    "dest_review_label": {"en": "Destination (the artisan's choice; pick another to compare)",
                          "fr": "Destination (choix de l'artisan ; choisissez-en une autre pour comparer)",
                          "ar": "الوجهة (اختيار الحرفي؛ اختر وجهة أخرى للمقارنة)"},
    "dest_artisan_none": {"en": "The artisan chose no destination.", "fr": "L'artisan n'a choisi aucune destination.",
                          "ar": "لم يختر الحرفي أي وجهة."},
    "dest_for_code": {"en": "For the code", "fr": "Pour le code", "ar": "للرمز"},
    # -- decision tree (model tab)
    "tree_title": {"en": "Decision tree: every path of a category", "fr": "Arbre de décision : tous les chemins d'une catégorie",
                   "ar": "شجرة القرار: كل مسارات فئة"},
    "tree_category": {"en": "Category to list", "fr": "Catégorie à lister", "ar": "الفئة المراد عرضها"},
    "tree_col_path": {"en": "Questions and answers, in order", "fr": "Questions et réponses, dans l'ordre", "ar": "الأسئلة والأجوبة بالترتيب"},
    "tree_col_end": {"en": "Ends at", "fr": "Aboutit à", "ar": "ينتهي إلى"},
    "tree_count": {"en": "{n} paths", "fr": "{n} chemins", "ar": "{n} مسارات"},
    "tree_no_question": {"en": "(no question: one code)", "fr": "(aucune question : un seul code)", "ar": "(بدون سؤال: رمز واحد)"},
    # -- product search (model tab)
    "search_title": {"en": "Find a code from words", "fr": "Trouver un code à partir de mots", "ar": "ابحث عن رمز بالكلمات"},
    "search_box": {"en": "Describe the product (French, Arabic or English)", "fr": "Décrivez le produit (français, arabe ou anglais)",
                   "ar": "صف المنتج (بالفرنسية أو العربية أو الإنجليزية)"},
    "search_btn": {"en": "Search", "fr": "Chercher", "ar": "بحث"},
    "search_empty": {"en": "Type a few words first, e.g. what the product is and what it is made of.",
                     "fr": "Tapez d'abord quelques mots, par exemple ce qu'est le produit et sa matière.",
                     "ar": "اكتب أولا بضع كلمات، مثلا ما هو المنتج ومم صنع."},
    "search_nothing": {"en": "Nothing matches these words: try other words, or list the paths of a category below.",
                       "fr": "Rien ne correspond à ces mots : essayez d'autres mots, ou listez les chemins d'une catégorie ci-dessous.",
                       "ar": "لا شيء يطابق هذه الكلمات: جرب كلمات أخرى، أو اعرض مسارات فئة أدناه."},
    "search_given": {"en": "Answers these words give", "fr": "Réponses que donnent ces mots", "ar": "أجوبة تعطيها هذه الكلمات"},
    "search_remaining": {"en": "Still to answer", "fr": "Reste à répondre", "ar": "يبقى الجواب عن"},
    "search_nomenclature": {"en": "From the HS 2022 nomenclature (no question of the taxonomy)",
                            "fr": "D'après la nomenclature SH 2022 (aucune question de la taxonomie)",
                            "ar": "من النظام المنسق 2022 (بدون أسئلة التصنيف)"},
    "search_codes": {"en": "Possible codes", "fr": "Codes possibles", "ar": "الرموز الممكنة"},
}
