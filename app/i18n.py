"""Interface texts in French, Arabic and English (the taxonomy carries its own three languages).

Every label, button, state and message of every tab is a key of `TEXT`; `tests/test_i18n.py`
fails when a key lacks a language and the browser test fails when a visible string bypasses it.
"""

from __future__ import annotations

LANGS = {"fr": "Français", "ar": "العربية", "en": "English"}

TEXT = {
    # -- page and tabs
    "title": {"en": "Craft product to HS code", "fr": "Du produit artisanal au code SH", "ar": "من المنتج الحرفي إلى رمز النظام المنسق"},
    "intro": {
        "en": "Upload up to {n} photos of one product. You get its category, the HS 2022 heading and a few questions that narrow the code. The code is a suggestion that a customs reviewer can check.",
        "fr": "Envoyez jusqu'à {n} photos d'un même produit. Vous obtenez sa catégorie, la position SH 2022 et quelques questions qui précisent le code. Le code est une suggestion qu'un agent de revue douanière peut vérifier.",
        "ar": "أرسل حتى {n} صور لمنتج واحد. ستحصل على فئته والبند في النظام المنسق 2022 وبعض الأسئلة التي تحدد الرمز. الرمز اقتراح يمكن أن يتحقق منه مراجع جمركي.",
    },
    "lang_label": {"en": "Language", "fr": "Langue", "ar": "اللغة"},
    "tab_artisan": {"en": "Get a code", "fr": "Obtenir un code", "ar": "احصل على رمز"},
    "tab_status": {"en": "Check my request", "fr": "Suivre ma demande", "ar": "تتبع طلبي"},
    "tab_review": {"en": "Customs review", "fr": "Revue douane", "ar": "مراجعة الجمارك"},
    "tab_model": {"en": "Model", "fr": "Modèle", "ar": "النموذج"},
    # -- artisan tab
    "photos": {"en": "Photos of one product (up to {n})", "fr": "Photos d'un même produit ({n} au plus)", "ar": "صور منتج واحد (حتى {n})"},
    "camera": {"en": "Or take a photo", "fr": "Ou prenez une photo", "ar": "أو التقط صورة"},
    "chosen": {"en": "Chosen photos", "fr": "Photos choisies", "ar": "الصور المختارة"},
    "analyse": {"en": "Analyse", "fr": "Analyser", "ar": "تحليل"},
    "analysing": {"en": "Reading photo {i} of {n}", "fr": "Lecture de la photo {i} sur {n}", "ar": "قراءة الصورة {i} من {n}"},
    "product_from": {"en": "One product, from {n} photo(s)", "fr": "Un produit, d'après {n} photo(s)", "ar": "منتج واحد، من {n} صورة"},
    "photo_alone": {"en": "This photo alone", "fr": "Cette photo seule", "ar": "هذه الصورة وحدها"},
    "photo_disagrees": {"en": "This photo looks like {category}", "fr": "Cette photo ressemble à : {category}", "ar": "تبدو هذه الصورة كأنها: {category}"},
    "category": {"en": "Category (change it if the suggestion is wrong)", "fr": "Catégorie (changez-la si la suggestion est fausse)", "ar": "الفئة (غيّرها إذا كان الاقتراح خاطئا)"},
    "question": {"en": "Question", "fr": "Question", "ar": "سؤال"},
    "answer": {"en": "Answer", "fr": "Répondre", "ar": "أجب"},
    "restart": {"en": "Start the questions again", "fr": "Recommencer les questions", "ar": "إعادة الأسئلة"},
    "declaration": {"en": "Declaration line (copy it)", "fr": "Ligne de déclaration (à copier)", "ar": "سطر التصريح (انسخه)"},
    "description": {"en": "Product description (optional)", "fr": "Description du produit (facultatif)", "ar": "وصف المنتج (اختياري)"},
    "contact": {"en": "Contact: phone or e-mail (optional)", "fr": "Contact : téléphone ou e-mail (facultatif)", "ar": "للتواصل: هاتف أو بريد إلكتروني (اختياري)"},
    "send": {"en": "Send for a customs check", "fr": "Envoyer pour vérification douanière", "ar": "أرسل للتحقق الجمركي"},
    "sent": {"en": "Sent. Keep this reference to check your request: ", "fr": "Envoyé. Gardez cette référence pour suivre votre demande : ", "ar": "تم الإرسال. احتفظ بهذا المرجع لتتبع طلبك: "},
    "decision_accept": {"en": "Recognised with confidence", "fr": "Reconnu avec confiance", "ar": "تم التعرف عليه بثقة"},
    "decision_review": {"en": "Uncertain: a customs reviewer will check it", "fr": "Incertain : un agent de revue douanière va le vérifier", "ar": "غير مؤكد: سيتحقق منه مراجع جمركي"},
    "decision_not_a_craft": {"en": "This does not look like a craft product", "fr": "Ceci ne ressemble pas à un produit artisanal", "ar": "لا يبدو هذا منتجا حرفيا"},
    "headings": {"en": "HS 2022 heading(s)", "fr": "Position(s) SH 2022", "ar": "البنود في النظام المنسق 2022"},
    "candidates": {"en": "Possible subheadings", "fr": "Sous-positions possibles", "ar": "البنود الفرعية الممكنة"},
    "suggested": {"en": "Suggested code", "fr": "Code suggéré", "ar": "الرمز المقترح"},
    "expert": {"en": "Ask an expert", "fr": "Demandez à un expert", "ar": "استشر خبيرا"},
    "disclaimer": {"en": "This code is a suggestion, not a ruling; a customs reviewer can check it.", "fr": "Ce code est une suggestion, pas une décision ; un agent de revue douanière peut le vérifier.", "ar": "هذا الرمز اقتراح وليس قرارا؛ يمكن أن يتحقق منه مراجع جمركي."},
    "hint_small": {"en": "The photo is small ({w} x {h} px): retake it closer or at a higher resolution.", "fr": "La photo est petite ({w} x {h} px) : reprenez-la de plus près ou en meilleure résolution.", "ar": "الصورة صغيرة ({w} x {h} بكسل): أعد التقاطها عن قرب أو بدقة أعلى."},
    "hint_dark": {"en": "The photo is dark: retake it in daylight.", "fr": "La photo est sombre : reprenez-la à la lumière du jour.", "ar": "الصورة مظلمة: أعد التقاطها في ضوء النهار."},
    "hint_bright": {"en": "The photo is over-exposed: avoid direct light.", "fr": "La photo est surexposée : évitez la lumière directe.", "ar": "الصورة شديدة الإضاءة: تجنب الضوء المباشر."},
    "hint_blur": {"en": "The photo looks blurred: hold the phone still and retake it.", "fr": "La photo semble floue : tenez le téléphone immobile et reprenez-la.", "ar": "الصورة تبدو ضبابية: ثبّت الهاتف وأعد التقاطها."},
    "hint_far": {"en": "The product seems small in the frame: come closer so it fills the photo.", "fr": "Le produit semble petit dans l'image : rapprochez-vous pour qu'il remplisse la photo.", "ar": "يبدو المنتج صغيرا في الإطار: اقترب ليملأ الصورة."},
    # -- status tab
    "reference": {"en": "Reference", "fr": "Référence", "ar": "المرجع"},
    "check": {"en": "Check", "fr": "Vérifier", "ar": "تحقق"},
    "state_pending": {"en": "Waiting for a customs reviewer", "fr": "En attente d'un agent de revue douanière", "ar": "في انتظار مراجع جمركي"},
    "state_confirmed": {"en": "Checked by a customs reviewer: the suggested code was kept", "fr": "Vérifié par un agent de revue douanière : le code suggéré est retenu", "ar": "تحقق منه مراجع جمركي: تم الإبقاء على الرمز المقترح"},
    "state_corrected": {"en": "Checked by a customs reviewer, who corrected it", "fr": "Vérifié et corrigé par un agent de revue douanière", "ar": "تحقق منه مراجع جمركي وصححه"},
    "state_rejected": {"en": "Checked by a customs reviewer, who turned it down", "fr": "Vérifié et refusé par un agent de revue douanière", "ar": "تحقق منه مراجع جمركي ورفضه"},
    "final_code": {"en": "Final code", "fr": "Code final", "ar": "الرمز النهائي"},
    "submitted_at": {"en": "Sent on", "fr": "Envoyé le", "ar": "أرسل في"},
    # -- review tab
    "user": {"en": "Username", "fr": "Utilisateur", "ar": "اسم المستخدم"},
    "password": {"en": "Password", "fr": "Mot de passe", "ar": "كلمة المرور"},
    "login": {"en": "Log in", "fr": "Connexion", "ar": "تسجيل الدخول"},
    "logged_in": {"en": "Logged in:", "fr": "Connecté :", "ar": "متصل:"},
    "logout": {"en": "Log out", "fr": "Déconnexion", "ar": "تسجيل الخروج"},
    "filter_category": {"en": "Category", "fr": "Catégorie", "ar": "الفئة"},
    "filter_decision": {"en": "Model decision", "fr": "Décision du modèle", "ar": "قرار النموذج"},
    "any": {"en": "All", "fr": "Toutes", "ar": "الكل"},
    "order": {"en": "Order", "fr": "Ordre", "ar": "الترتيب"},
    "order_oldest": {"en": "Oldest first", "fr": "Plus anciennes d'abord", "ar": "الأقدم أولا"},
    "order_least_confident": {"en": "Least confident first", "fr": "Moins sûres d'abord", "ar": "الأقل ثقة أولا"},
    "refresh": {"en": "Refresh", "fr": "Actualiser", "ar": "تحديث"},
    "queue_help": {"en": "Click a row to open it. Keys: C confirm, K correct, R reject, N next.", "fr": "Cliquez sur une ligne pour l'ouvrir. Touches : C confirmer, K corriger, R rejeter, N suivante.", "ar": "انقر على سطر لفتحه. المفاتيح: C تأكيد، K تصحيح، R رفض، N التالي."},
    "queue_empty": {"en": "No submission waits for review.", "fr": "Aucune demande n'attend de revue.", "ar": "لا يوجد طلب ينتظر المراجعة."},
    "col_id": {"en": "No.", "fr": "N°", "ar": "رقم"},
    "col_created": {"en": "Sent on", "fr": "Envoyée le", "ar": "أرسل في"},
    "col_category": {"en": "Category", "fr": "Catégorie", "ar": "الفئة"},
    "col_decision": {"en": "Model decision", "fr": "Décision du modèle", "ar": "قرار النموذج"},
    "col_confidence": {"en": "Confidence", "fr": "Confiance", "ar": "الثقة"},
    "col_code": {"en": "Suggested code", "fr": "Code suggéré", "ar": "الرمز المقترح"},
    "short_accept": {"en": "confident", "fr": "sûre", "ar": "واثق"},
    "short_review": {"en": "to check", "fr": "à vérifier", "ar": "للتحقق"},
    "short_not_a_craft": {"en": "not a craft", "fr": "pas artisanal", "ar": "ليس حرفيا"},
    "gallery": {"en": "Photos and where the model looked", "fr": "Photos et zones regardées par le modèle", "ar": "الصور والمناطق التي نظر إليها النموذج"},
    "photo_n": {"en": "Photo {n}", "fr": "Photo {n}", "ar": "الصورة {n}"},
    "cam_n": {"en": "Photo {n}: where the model looked", "fr": "Photo {n} : zones regardées", "ar": "الصورة {n}: حيث نظر النموذج"},
    "confirm": {"en": "Confirm [C]", "fr": "Confirmer [C]", "ar": "تأكيد [C]"},
    "correct": {"en": "Correct [K]", "fr": "Corriger [K]", "ar": "تصحيح [K]"},
    "reject": {"en": "Reject [R]", "fr": "Rejeter [R]", "ar": "رفض [R]"},
    "next": {"en": "Next [N]", "fr": "Suivante [N]", "ar": "التالي [N]"},
    "fix_category": {"en": "Corrected category", "fr": "Catégorie corrigée", "ar": "الفئة المصححة"},
    "unchanged": {"en": "(unchanged)", "fr": "(inchangée)", "ar": "(دون تغيير)"},
    "fix_code": {"en": "Corrected HS code (6 digits)", "fr": "Code SH corrigé (6 chiffres)", "ar": "رمز النظام المنسق المصحح (6 أرقام)"},
    "reason": {"en": "Reason of the correction", "fr": "Motif de la correction", "ar": "سبب التصحيح"},
    "reject_reason": {"en": "Reason of the rejection", "fr": "Motif du rejet", "ar": "سبب الرفض"},
    "reason_not_a_craft": {"en": "Not a craft product", "fr": "Pas un produit artisanal", "ar": "ليس منتجا حرفيا"},
    "reason_photo_unusable": {"en": "Photo unusable", "fr": "Photo inutilisable", "ar": "صورة غير صالحة"},
    "reason_needs_more_information": {"en": "More information needed", "fr": "Informations insuffisantes", "ar": "يلزم مزيد من المعلومات"},
    "export_csv": {"en": "Export decisions (CSV)", "fr": "Exporter les décisions (CSV)", "ar": "تصدير القرارات (CSV)"},
    "export_dataset": {"en": "Export the reviewed photos", "fr": "Exporter les photos revues", "ar": "تصدير الصور المراجعة"},
    "export_file": {"en": "Exported file", "fr": "Fichier exporté", "ar": "الملف المصدر"},
    "d_submitted": {"en": "Sent on", "fr": "Envoyée le", "ar": "أرسل في"},
    "d_model": {"en": "Model", "fr": "Modèle", "ar": "النموذج"},
    "d_decision": {"en": "Model decision", "fr": "Décision du modèle", "ar": "قرار النموذج"},
    "d_ranking": {"en": "Ranking (all photos)", "fr": "Classement (toutes les photos)", "ar": "الترتيب (كل الصور)"},
    "d_answers": {"en": "Answers", "fr": "Réponses", "ar": "الأجوبة"},
    "d_description": {"en": "Description", "fr": "Description", "ar": "الوصف"},
    "d_history": {"en": "History", "fr": "Historique", "ar": "السجل"},
    "d_no_history": {"en": "No decision yet.", "fr": "Aucune décision pour l'instant.", "ar": "لا يوجد قرار بعد."},
    "d_by": {"en": "by", "fr": "par", "ar": "بواسطة"},
    "d_status": {"en": "State", "fr": "État", "ar": "الحالة"},
    "no_open": {"en": "Open a submission first (click a row of the queue).", "fr": "Ouvrez d'abord une demande (cliquez sur une ligne).", "ar": "افتح طلبا أولا (انقر على سطر)."},
    "action_confirm": {"en": "checked, code kept", "fr": "vérifiée, code retenu", "ar": "تم التحقق والإبقاء على الرمز"},
    "action_correct": {"en": "corrected", "fr": "corrigée", "ar": "مصحح"},
    "action_reject": {"en": "rejected", "fr": "rejetée", "ar": "مرفوض"},
    "status_pending": {"en": "pending", "fr": "en attente", "ar": "قيد الانتظار"},
    "status_confirmed": {"en": "checked, code kept", "fr": "vérifiée, code retenu", "ar": "تم التحقق والإبقاء على الرمز"},
    "status_corrected": {"en": "corrected", "fr": "corrigée", "ar": "مصحح"},
    "status_rejected": {"en": "rejected", "fr": "rejetée", "ar": "مرفوض"},
    # -- model tab
    "model_card_missing": {"en": "This model has no model card.", "fr": "Ce modèle n'a pas de fiche.", "ar": "لا توجد بطاقة لهذا النموذج."},
    "confusion": {"en": "Confusion matrix", "fr": "Matrice de confusion", "ar": "مصفوفة الالتباس"},
    # -- messages (library errors are shown translated, the library's own text beside it)
    "no_photo": {"en": "Add at least one photo.", "fr": "Ajoutez au moins une photo.", "ar": "أضف صورة واحدة على الأقل."},
    "too_many": {"en": "At most {n} photos per request.", "fr": "{n} photos au maximum par demande.", "ar": "{n} صور كحد أقصى لكل طلب."},
    "too_big": {"en": "The photo '{name}' is larger than {mb} MB.", "fr": "La photo « {name} » dépasse {mb} Mo.", "ar": "الصورة '{name}' أكبر من {mb} ميغابايت."},
    "analyse_first": {"en": "Analyse a photo first.", "fr": "Analysez d'abord une photo.", "ar": "حلّل صورة أولا."},
    "bad_photo": {"en": "This photo could not be read.", "fr": "Cette photo n'a pas pu être lue.", "ar": "تعذرت قراءة هذه الصورة."},
    "no_readable_photo": {"en": "None of the photos could be read.", "fr": "Aucune des photos n'a pu être lue.", "ar": "تعذرت قراءة كل الصور."},
    "unknown_reference": {"en": "No request has this reference.", "fr": "Aucune demande n'a cette référence.", "ar": "لا يوجد طلب بهذا المرجع."},
    "not_a_craft_cannot_send": {"en": "Photos that show no craft product cannot be sent.", "fr": "Les photos sans produit artisanal ne peuvent pas être envoyées.", "ar": "لا يمكن إرسال صور لا تظهر منتجا حرفيا."},
    "err_login": {"en": "Wrong username or password.", "fr": "Utilisateur ou mot de passe incorrect.", "ar": "اسم المستخدم أو كلمة المرور غير صحيحة."},
    "err_locked": {"en": "Too many failed logins: wait before trying again.", "fr": "Trop d'échecs de connexion : attendez avant de réessayer.", "ar": "محاولات دخول فاشلة كثيرة: انتظر قبل المحاولة مجددا."},
    "err_login_needed": {"en": "Please log in.", "fr": "Veuillez vous connecter.", "ar": "يرجى تسجيل الدخول."},
    "err_session": {"en": "Your session has expired: please log in again.", "fr": "Votre session a expiré : reconnectez-vous.", "ar": "انتهت جلستك: سجّل الدخول مجددا."},
    "err_no_submission": {"en": "This submission does not exist.", "fr": "Cette demande n'existe pas.", "ar": "هذا الطلب غير موجود."},
    "err_code": {"en": "This HS code is not valid.", "fr": "Ce code SH n'est pas valide.", "ar": "رمز النظام المنسق هذا غير صالح."},
    "err_reason": {"en": "A reason is needed.", "fr": "Un motif est nécessaire.", "ar": "يلزم ذكر السبب."},
    "err_answer": {"en": "This answer is not one of the options.", "fr": "Cette réponse ne fait pas partie des choix.", "ar": "هذا الجواب ليس من الخيارات."},
    "err_category": {"en": "This category is unknown.", "fr": "Cette catégorie est inconnue.", "ar": "هذه الفئة غير معروفة."},
    "err_model": {"en": "The model cannot answer this request.", "fr": "Le modèle ne peut pas répondre à cette demande.", "ar": "لا يستطيع النموذج الإجابة عن هذا الطلب."},
    "err_store": {"en": "The review store refused this.", "fr": "Le registre des demandes a refusé cette opération.", "ar": "رفض سجل الطلبات هذه العملية."},
    "err_generic": {"en": "This could not be done.", "fr": "Cette opération n'a pas pu être faite.", "ar": "تعذر القيام بهذه العملية."},
    "queue_position": {"en": "In queue: {position} of {size}", "fr": "En file d'attente : {position} sur {size}", "ar": "في الانتظار: {position} من {size}"},
    "done": {"en": "Done", "fr": "Terminé", "ar": "اكتمل"},
    "error_title": {"en": "Error", "fr": "Erreur", "ar": "خطأ"},
    "detail": {"en": "Detail", "fr": "Détail", "ar": "تفاصيل"},
}

# The destination step, decision tree and product search keep their texts in their own module.
from .texts_dest import DEST_TEXT  # noqa: E402

TEXT.update(DEST_TEXT)


def lang_of(lang: str | None) -> str:
    """A known language code (French when unknown)."""
    return lang if lang in LANGS else "fr"


def t(key: str, lang: str, **kwargs) -> str:
    """The text of `key` in `lang` (French when the language is unknown)."""
    text = TEXT[key][lang_of(lang)]
    return text.format(**kwargs) if kwargs else text


def direction(lang: str) -> str:
    """The writing direction of a language, for `dir=` attributes."""
    return "rtl" if lang == "ar" else "ltr"
