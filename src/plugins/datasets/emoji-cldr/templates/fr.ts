import type { LanguageTemplates } from './types';

export const fr: LanguageTemplates = {
  lang: 'fr',
  pre: ['', '', 'euh, ', 'dis, ', 'bon, ', 'salut, '],
  post: ['', '', ' s’il te plaît', ', merci', ', merci bien'],
  intents: {
    find_image: [
      'trouve-moi une image de {object}',
      'montre la photo de {object} que j’ai prise {time}',
      'cherche des images de {object}',
      'affiche l’emoji {object}',
      'je cherche la photo {object} reçue {time}',
    ],
    find_document: [
      'trouve le document sur {object}',
      'ouvre les notes sur {object} que j’ai écrites {time}',
      'cherche l’article à propos de {object}',
    ],
    set_reminder: [
      'rappelle-moi {time} de penser à {object}',
      'mets un rappel pour {object} {time}',
      'n’oublie pas de me rappeler {object} {time}',
    ],
    play_music: ['joue la chanson {object}', 'mets {object}', 'lance le morceau {object}', 'je veux écouter {object}'],
  },
  heldOut: {
    pre: ['', 'alors, ', 'excuse-moi, '],
    post: ['', ', merci beaucoup', ' si possible'],
    intents: {
      find_image: [
        'affiche-moi les photos de {object}',
        'retrouve l’image de {object} que j’ai enregistrée {time}',
        'je voudrais voir une image de {object}',
      ],
      find_document: [
        'ouvre le fichier sur {object}',
        'montre-moi le dossier sur {object} que j’ai modifié {time}',
        'affiche le rapport sur {object}',
      ],
      set_reminder: ['préviens-moi {time} pour {object}', 'fais-moi penser à {object} {time}'],
      play_music: ['fais-moi écouter {object}', 'passe {object}'],
    },
  },
  chunk: ({ label, tags, group, subgroup }) =>
    `${label} est un emoji de la catégorie ${group} (${subgroup}).${tags.length ? ` Mots-clés : ${tags.join(', ')}.` : ''}`,
};
