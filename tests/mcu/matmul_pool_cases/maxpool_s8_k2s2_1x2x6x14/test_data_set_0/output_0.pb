ByJ*cq,^AÐU@Cf%(~[Jym4g1EmqZZsdyx
é,aaZ