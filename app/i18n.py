"""Interface texts in French, Arabic and English (the taxonomy carries its own three languages)."""

from __future__ import annotations

LANGS = {"fr": "Français", "ar": "العربية", "en": "English"}

TEXT = {
    "title": {"en": "Craft product to HS code", "fr": "Du produit artisanal au code SH", "ar": "من المنتج الحرفي إلى رمز النظام المنسق"},
    "intro": {
        "en": "Upload one or more photos of your product. You get its category, the HS 2022 heading and a few questions that narrow the code. The code is a suggestion to be confirmed by customs.",
        "fr": "Envoyez une ou plusieurs photos de votre produit. Vous obtenez sa catégorie, la position SH 2022 et quelques questions qui précisent le code. Le code est une suggestion à faire confirmer par la douane.",
        "ar": "أرسل صورة أو أكثر لمنتجك. ستحصل على فئته والبند في النظام المنسق 2022 وبعض الأسئلة التي تحدد الرمز. الرمز اقتراح يجب أن تؤكده الجمارك.",
    },
    "tab_artisan": {"en": "Get a code", "fr": "Obtenir un code", "ar": "احصل على رمز"},
    "tab_status": {"en": "Check my request", "fr": "Suivre ma demande", "ar": "تتبع طلبي"},
    "tab_review": {"en": "Customs review", "fr": "Revue douane", "ar": "مراجعة الجمارك"},
    "tab_model": {"en": "Model", "fr": "Modèle", "ar": "النموذج"},
    "photos": {"en": "Photos of the product", "fr": "Photos du produit", "ar": "صور المنتج"},
    "camera": {"en": "Or take a photo", "fr": "Ou prenez une photo", "ar": "أو التقط صورة"},
    "analyse": {"en": "Analyse", "fr": "Analyser", "ar": "تحليل"},
    "category": {"en": "Category (change it if the suggestion is wrong)", "fr": "Catégorie (changez-la si la suggestion est fausse)", "ar": "الفئة (غيّرها إذا كان الاقتراح خاطئا)"},
    "answer": {"en": "Answer", "fr": "Répondre", "ar": "أجب"},
    "restart": {"en": "Start the questions again", "fr": "Recommencer les questions", "ar": "إعادة الأسئلة"},
    "declaration": {"en": "Declaration line (copy it)", "fr": "Ligne de déclaration (à copier)", "ar": "سطر التصريح (انسخه)"},
    "description": {"en": "Product description (optional)", "fr": "Description du produit (facultatif)", "ar": "وصف المنتج (اختياري)"},
    "contact": {"en": "Contact: phone or e-mail (optional)", "fr": "Contact : téléphone ou e-mail (facultatif)", "ar": "للتواصل: هاتف أو بريد إلكتروني (اختياري)"},
    "send": {"en": "Send for customs validation", "fr": "Envoyer pour validation douanière", "ar": "أرسل للمصادقة الجمركية"},
    "sent": {
        "en": "Sent. Keep this reference to check your request: ",
        "fr": "Envoyé. Gardez cette référence pour suivre votre demande : ",
        "ar": "تم الإرسال. احتفظ بهذا المرجع لتتبع طلبك: ",
    },
    "reference": {"en": "Reference", "fr": "Référence", "ar": "المرجع"},
    "check": {"en": "Check", "fr": "Vérifier", "ar": "تحقق"},
    "decision_accept": {"en": "Recognised with confidence", "fr": "Reconnu avec confiance", "ar": "تم التعرف عليه بثقة"},
    "decision_review": {"en": "Uncertain: customs staff will check it", "fr": "Incertain : la douane va vérifier", "ar": "غير مؤكد: ستتحقق منه الجمارك"},
    "decision_not_a_craft": {"en": "This does not look like a craft product", "fr": "Ceci ne ressemble pas à un produit artisanal", "ar": "لا يبدو هذا منتجا حرفيا"},
    "headings": {"en": "HS 2022 heading(s)", "fr": "Position(s) SH 2022", "ar": "البنود في النظام المنسق 2022"},
    "candidates": {"en": "Possible subheadings", "fr": "Sous-positions possibles", "ar": "البنود الفرعية الممكنة"},
    "suggested": {"en": "Suggested code", "fr": "Code suggéré", "ar": "الرمز المقترح"},
    "expert": {"en": "Ask an expert", "fr": "Demandez à un expert", "ar": "استشر خبيرا"},
    "state_pending": {"en": "Waiting for customs review", "fr": "En attente de la revue douanière", "ar": "في انتظار مراجعة الجمارك"},
    "state_confirmed": {"en": "Confirmed by customs", "fr": "Confirmé par la douane", "ar": "أكدته الجمارك"},
    "state_corrected": {"en": "Corrected by customs", "fr": "Corrigé par la douane", "ar": "صححته الجمارك"},
    "state_rejected": {"en": "Rejected by customs", "fr": "Rejeté par la douane", "ar": "رفضته الجمارك"},
    "final_code": {"en": "Final code", "fr": "Code final", "ar": "الرمز النهائي"},
    "hint_small": {"en": "The photo is small ({w} x {h} px): retake it closer or at a higher resolution.", "fr": "La photo est petite ({w} x {h} px) : reprenez-la de plus près ou en meilleure résolution.", "ar": "الصورة صغيرة ({w} x {h} بكسل): أعد التقاطها عن قرب أو بدقة أعلى."},
    "hint_dark": {"en": "The photo is dark: retake it in daylight.", "fr": "La photo est sombre : reprenez-la à la lumière du jour.", "ar": "الصورة مظلمة: أعد التقاطها في ضوء النهار."},
    "hint_bright": {"en": "The photo is over-exposed: avoid direct light.", "fr": "La photo est surexposée : évitez la lumière directe.", "ar": "الصورة شديدة الإضاءة: تجنب الضوء المباشر."},
    "hint_blur": {"en": "The photo looks blurred: hold the phone still and retake it.", "fr": "La photo semble floue : tenez le téléphone immobile et reprenez-la.", "ar": "الصورة تبدو ضبابية: ثبّت الهاتف وأعد التقاطها."},
    "hint_far": {"en": "The product seems small in the frame: come closer so it fills the photo.", "fr": "Le produit semble petit dans l'image : rapprochez-vous pour qu'il remplisse la photo.", "ar": "يبدو المنتج صغيرا في الإطار: اقترب ليملأ الصورة."},
    "no_photo": {"en": "Add at least one photo.", "fr": "Ajoutez au moins une photo.", "ar": "أضف صورة واحدة على الأقل."},
    "too_many": {"en": "At most {n} photos per request.", "fr": "{n} photos au maximum par demande.", "ar": "{n} صور كحد أقصى لكل طلب."},
    "too_big": {"en": "The photo '{name}' is larger than {mb} MB.", "fr": "La photo « {name} » dépasse {mb} Mo.", "ar": "الصورة '{name}' أكبر من {mb} ميغابايت."},
    "analyse_first": {"en": "Analyse a photo first.", "fr": "Analysez d'abord une photo.", "ar": "حلّل صورة أولا."},
    "bad_photo": {"en": "This photo could not be read: ", "fr": "Cette photo n'a pas pu être lue : ", "ar": "تعذرت قراءة هذه الصورة: "},
    "unknown_reference": {"en": "No request has this reference.", "fr": "Aucune demande n'a cette référence.", "ar": "لا يوجد طلب بهذا المرجع."},
    "not_a_craft_cannot_send": {"en": "Photos that show no craft product cannot be sent.", "fr": "Les photos sans produit artisanal ne peuvent pas être envoyées.", "ar": "لا يمكن إرسال صور لا تظهر منتجا حرفيا."},
    "probability": {"en": "probability", "fr": "probabilité", "ar": "الاحتمال"},
}


def t(key: str, lang: str, **kwargs) -> str:
    """The text of `key` in `lang` (French when the language is unknown)."""
    entry = TEXT[key]
    text = entry.get(lang) or entry["fr"]
    return text.format(**kwargs) if kwargs else text
