"""A little Spanish, so language detection and multilingual scoring see more than en/ko/ja."""

from __future__ import annotations

from listening.replay.phrases_en import lines

BRAND = {"orbitly": ["Orbitly"], "vantro": ["Vantro"], "kestrel": ["Kestrel Home"]}
PRODUCTS = {
    "orbitly": ["el hub de Orbitly", "la app de Orbitly"],
    "vantro": ["el hub de Vantro", "la app de Vantro"],
    "kestrel": ["la cámara de Kestrel Home", "la app de Kestrel Home"],
}
FEATURES = ["las automatizaciones", "el modo ausente", "las notificaciones", "el panel de energía"]

HEADLINE = {
    "pos": lines("""
{b} llega a América Latina con su hub para el hogar inteligente
Probamos {p}: sencillo, rápido y sin complicaciones
"""),
    "neu": lines("""
{b} o {c}: ¿qué sistema de hogar inteligente conviene comprar?
Cómo configurar {f} en {p}
"""),
    "neg": lines("""
Usuarios de {b} se quejan de fallos tras la última actualización
"""),
    "outage": lines("""
Caída de {b}: miles de hogares inteligentes sin control durante horas
{b} reconoce una falla en su servidor de autenticación
"""),
    "recovery": lines("""
{b} restablece el servicio tras la caída
"""),
    "launch": lines("""
{b} presenta Vantro Hub 2, con automatizaciones locales
"""),
}
COMMENT = {
    "pos": lines("""
Uso {b} desde hace {n} meses y funciona de maravilla.
{p} es lo mejor que he comprado este año para la casa.
"""),
    "neu": lines("""
¿Alguien sabe si {p} funciona con Matter?
Estoy entre {b} y {c}, ¿recomendaciones?
"""),
    "neg": lines("""
Desde la actualización {f} de {b} no funcionan bien.
"""),
    "outage": lines("""
{b} caído aquí también, la app no me deja iniciar sesión.
Mi hub de {b} sale "offline" desde hace horas. Nada funciona.
"""),
    "recovery": lines("""
Ya volvió {b}, tuve que reiniciar el hub.
"""),
    "launch": lines("""
El nuevo hub de {b} pinta muy bien, sobre todo lo de funcionar sin la nube.
"""),
}
PUBLISHERS = [("Hogar Conectado", "https://hogarconectado.example"), ("TecnoDiario", "https://tecnodiario.example")]

HARDWARE = PRODUCTS
